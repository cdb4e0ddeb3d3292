import { isIP } from 'node:net';
import { FtpError, SyntaxErrorInArgs } from '../errors.js';
import { Reply } from '../reply-codes.js';
import { addressFamily, normalizeAddress } from './ip.js';
import type { HostPort } from './port.js';

/** The 522 text RFC 2428 suggests: it tells the client which families we do speak. */
export const UNSUPPORTED_FAMILY_TEXT = 'Network protocol not supported, use (1,2).';

/**
 * EPRT argument "|1|127.0.0.1|1234|" or "|2|::1|1234|". The host is normalised first, so an
 * IPv4-mapped address goes out as family 1.
 * @throws TypeError when the host is not an IP address or the port is not 1-65535.
 */
export function encodeEprt(hp: HostPort): string {
  const host = normalizeAddress(hp.host);
  const family = addressFamily(host);
  if (family === 0) throw new TypeError(`EPRT needs an IP address, got ${hp.host}`);
  if (!Number.isInteger(hp.port) || hp.port < 1 || hp.port > 65535) {
    throw new TypeError(`Port must be an integer from 1 to 65535, got ${hp.port}`);
  }
  return `|${family === 4 ? 1 : 2}|${host}|${hp.port}|`;
}

/**
 * Parses an EPRT argument (RFC 2428): <d>net-prt<d>net-addr<d>tcp-port<d>, where <d> is the first
 * character (printable ASCII 33-126). The address is returned as sent (validated, not rewritten).
 * @throws FtpError 522 for a well-formed argument naming a family other than 1 or 2.
 * @throws SyntaxErrorInArgs (501) for anything malformed, saying what is wrong.
 */
export function decodeEprt(arg: string): HostPort & { family: 4 | 6 } {
  const bad = (what: string): SyntaxErrorInArgs => new SyntaxErrorInArgs(`Bad EPRT argument: ${what}.`);
  const delimiter = arg.charCodeAt(0);
  if (Number.isNaN(delimiter)) throw bad('empty');
  if (delimiter < 33 || delimiter > 126) throw bad('the delimiter must be printable ASCII');
  const d = arg.charAt(0);
  if (arg.length < 2 || !arg.endsWith(d)) throw bad('it must end with the delimiter');
  const fields = arg.slice(1, -1).split(d);
  if (fields.length !== 3) throw bad(`expected 3 fields between delimiters, got ${fields.length}`);
  const [protocol = '', host = '', portText = ''] = fields;

  if (!/^\d+$/.test(protocol)) throw bad('the network protocol must be a number');
  if (protocol !== '1' && protocol !== '2')
    throw new FtpError(Reply.NetworkProtocolNotSupported, UNSUPPORTED_FAMILY_TEXT);
  const family = protocol === '1' ? 4 : 6;

  // A zone index is meaningful only on the host that wrote it, so it has no place on the wire.
  if (host.includes('%') || isIP(host) !== family) throw bad(`not a valid IPv${family} address`);
  if (!/^\d{1,5}$/.test(portText)) throw bad('the port must be a number');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad('the port must be from 1 to 65535');
  return { host, port, family };
}
