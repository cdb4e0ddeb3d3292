import { FtpError, ProtocolViolationError, SyntaxErrorInArgs } from '../errors.js';
import { Reply } from '../reply-codes.js';
import { UNSUPPORTED_FAMILY_TEXT } from './eprt.js';

/**
 * Text of the 229 reply (RFC 2428).
 * @throws TypeError when the port is not an integer from 1 to 65535.
 */
export function formatEpsvReply(port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`Port must be an integer from 1 to 65535, got ${port}`);
  }
  return `Entering Extended Passive Mode (|||${port}|).`;
}

/** "(<d><d><d>port<d>)" with the same printable delimiter four times; "|" is only the usual one. */
const EPSV_GROUP = /\(([!-~])\1\1(\d+)\1\)/;

/**
 * Port from a 229 reply's text.
 * @throws ProtocolViolationError when the text holds no such group or the port is out of range.
 */
export function parseEpsvReply(text: string): number {
  const match = EPSV_GROUP.exec(text);
  const digits = match?.[2];
  if (digits === undefined) throw new ProtocolViolationError('EPSV reply holds no port.');
  const port = digits.length <= 5 ? Number(digits) : 0;
  if (port < 1 || port > 65535)
    throw new ProtocolViolationError(`Bad EPSV reply: port ${digits} out of range.`);
  return port;
}

/**
 * The EPSV argument: none (undefined), "ALL" (any case; the client promises to use only EPSV
 * from now on), "1" (IPv4) or "2" (IPv6). Surrounding spaces are ignored.
 * @throws FtpError 522 for another protocol number.
 * @throws SyntaxErrorInArgs (501) for anything else.
 */
export function parseEpsvArg(arg: string): 'all' | 4 | 6 | undefined {
  const text = arg.trim();
  if (text === '') return undefined;
  if (text.toUpperCase() === 'ALL') return 'all';
  if (text === '1') return 4;
  if (text === '2') return 6;
  if (/^\d+$/.test(text)) throw new FtpError(Reply.NetworkProtocolNotSupported, UNSUPPORTED_FAMILY_TEXT);
  throw new SyntaxErrorInArgs('Bad EPSV argument: expected ALL, 1 or 2.');
}
