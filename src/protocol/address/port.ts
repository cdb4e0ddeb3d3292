import { ProtocolViolationError, SyntaxErrorInArgs } from '../errors.js';
import { addressFamily, normalizeAddress } from './ip.js';

export interface HostPort {
  host: string;
  port: number;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/**
 * PORT / 227 form "h1,h2,h3,h4,p1,p2". An IPv4-mapped IPv6 host (what a dual-stack socket reports)
 * is accepted as the IPv4 address it stands for.
 * @throws TypeError when the host is not IPv4 or the port is not 1-65535.
 */
export function encodeHostPort(hp: HostPort): string {
  const host = normalizeAddress(hp.host);
  if (addressFamily(host) !== 4) throw new TypeError(`PORT/PASV needs an IPv4 address, got ${hp.host}`);
  if (!isPort(hp.port)) throw new TypeError(`Port must be an integer from 1 to 65535, got ${hp.port}`);
  return `${host.replaceAll('.', ',')},${hp.port >> 8},${hp.port & 0xff}`;
}

const NUMBER = /^\d{1,3}$/;

/** Shared by PORT and 227 parsing: six numbers 0-255 to a host and a non-zero port. */
function fromNumbers(parts: readonly string[]): HostPort | string {
  if (parts.length !== 6) return `expected 6 numbers, got ${parts.length}`;
  const values: number[] = [];
  for (const part of parts) {
    if (!NUMBER.test(part)) return `${JSON.stringify(part)} is not a number from 0 to 255`;
    const value = Number(part);
    if (value > 255) return `${value} is out of range 0-255`;
    values.push(value);
  }
  const [p1 = 0, p2 = 0] = values.slice(4);
  const port = p1 * 256 + p2;
  if (port === 0) return 'port 0 is not allowed';
  return { host: values.slice(0, 4).join('.'), port };
}

/**
 * Strict parser for the PORT argument: exactly six decimal numbers 0-255 joined by commas
 * (surrounding spaces ignored), port not 0.
 * @throws SyntaxErrorInArgs (501) naming what is wrong.
 */
export function decodeHostPort(text: string): HostPort {
  const result = fromNumbers(text.trim().split(','));
  if (typeof result === 'string') throw new SyntaxErrorInArgs(`Bad PORT argument: ${result}.`);
  return result;
}

/** Six comma-separated numbers not glued to other digits, with or without parentheses around. */
const PASV_GROUP = /(?<!\d)(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)(?!\d)/;

/**
 * Finds the address in a 227 reply's text. Servers vary ("(h1,...,p2)", "=h1,...,p2", bare), so
 * the first six-number group is taken wherever it is.
 * @throws ProtocolViolationError when there is no such group or it is out of range.
 */
export function parsePasvReply(text: string): HostPort {
  const match = PASV_GROUP.exec(text);
  if (match === null) throw new ProtocolViolationError('PASV reply holds no address.');
  const result = fromNumbers(match.slice(1));
  if (typeof result === 'string') throw new ProtocolViolationError(`Bad PASV reply: ${result}.`);
  return result;
}
