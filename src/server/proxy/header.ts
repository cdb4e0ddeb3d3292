import { isIP } from 'node:net';
import { normalizeAddress } from '../../protocol/index.js';

/**
 * PROXY protocol headers (HAProxy's doc/proxy-protocol.txt), versions 1 and 2: what a trusted
 * load balancer sends before anything else to tell the server who its client really is.
 */

/** The real client, as the proxy saw it. */
export interface ProxySource {
  /** Normalised as every peer address in ftpkit (normalizeAddress): IPv4-mapped becomes IPv4. */
  address: string;
  port: number;
}

/** A header read whole. */
export interface ProxyHeader {
  version: 1 | 2;
  /**
   * The client's address; undefined for v1 UNKNOWN and v2 LOCAL or an address family other than
   * TCP over IPv4/IPv6 (a health check, say): the connection's own addresses apply then.
   */
  source: ProxySource | undefined;
}

/** Nothing decided yet: more bytes are needed. */
export interface IncompleteHeader {
  kind: 'incomplete';
}

/** A header and the bytes it took; what follows is the client's own traffic. */
export interface CompleteHeader {
  kind: 'header';
  header: ProxyHeader;
  length: number;
}

/** Thrown for bytes that are not, or cannot become, a valid PROXY header. */
export class ProxyHeaderError extends Error {
  override name = 'ProxyHeaderError';
}

/** The spec's bound for a v1 line, CRLF included. */
export const MAX_V1_BYTES = 107;
/**
 * Our bound for a v2 header, TLVs included. The format allows 64 KiB, but HAProxy's TLVs (ALPN,
 * authority, unique id, SSL facts) stay far below this, and every connection not yet past its
 * header holds this much at most.
 */
export const MAX_V2_BYTES = 16 + 2048;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED = 16;
const PORT = /^(?:0|[1-9]\d{0,4})$/;

/** Whether `bytes` starts as `prefix` does, as far as either goes. */
function agrees(bytes: Buffer, prefix: Buffer): boolean {
  const n = Math.min(bytes.length, prefix.length);
  return bytes.subarray(0, n).equals(prefix.subarray(0, n));
}

/**
 * Whether a client's first bytes are a PROXY header (or its start), which only a trusted proxy may
 * send: from anyone else it is an attempt to pass for another address.
 */
export function looksLikeProxyHeader(bytes: Buffer): boolean {
  return (
    bytes.subarray(0, V1_PREFIX.length).equals(V1_PREFIX) ||
    bytes.subarray(0, V2_SIGNATURE.length).equals(V2_SIGNATURE)
  );
}

/**
 * Reads a header from the start of `bytes`. Rejects as soon as the bytes cannot become one, so a
 * peer that sends anything else is not waited for.
 */
export function parseProxyHeader(bytes: Buffer): IncompleteHeader | CompleteHeader {
  if (bytes.length === 0) return { kind: 'incomplete' };
  if (agrees(bytes, V2_SIGNATURE)) return parseV2(bytes);
  if (agrees(bytes, V1_PREFIX)) return parseV1(bytes);
  throw new ProxyHeaderError('not a PROXY protocol header');
}

function parseV1(bytes: Buffer): IncompleteHeader | CompleteHeader {
  const end = bytes.subarray(0, MAX_V1_BYTES).indexOf('\r\n', 0, 'latin1');
  if (end === -1) {
    if (bytes.length >= MAX_V1_BYTES) throw new ProxyHeaderError('PROXY v1 line too long');
    // A byte no header holds (a bare LF, say) fails now rather than at the length limit.
    if (!printable(bytes, bytes.length)) throw new ProxyHeaderError('PROXY v1 line malformed');
    return { kind: 'incomplete' };
  }
  if (!printable(bytes, end)) throw new ProxyHeaderError('PROXY v1 line malformed');
  const fields = bytes.toString('latin1', 0, end).split(' ');
  const length = end + 2;
  if (fields[1] === 'UNKNOWN') return { kind: 'header', header: { version: 1, source: undefined }, length };
  const family = fields[1] === 'TCP4' ? 4 : fields[1] === 'TCP6' ? 6 : 0;
  const [, , source, destination, sourcePort, destinationPort] = fields;
  if (
    family === 0 ||
    fields.length !== 6 ||
    source === undefined ||
    destination === undefined ||
    isIP(source) !== family ||
    isIP(destination) !== family ||
    !validPort(sourcePort) ||
    !validPort(destinationPort)
  ) {
    throw new ProxyHeaderError('PROXY v1 line malformed');
  }
  return {
    kind: 'header',
    header: { version: 1, source: { address: normalizeAddress(source), port: Number(sourcePort) } },
    length,
  };
}

/** Printable ASCII only, but for a CR last (its LF still to come): a v1 line is text. */
function printable(bytes: Buffer, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const byte = bytes[i] ?? 0;
    if (byte < 0x20 || byte > 0x7e) return byte === 0x0d && i === end - 1;
  }
  return true;
}

function validPort(text: string | undefined): boolean {
  return text !== undefined && PORT.test(text) && Number(text) <= 65535;
}

function parseV2(bytes: Buffer): IncompleteHeader | CompleteHeader {
  if (bytes.length < V2_FIXED) return { kind: 'incomplete' };
  const versionCommand = bytes[12] ?? 0;
  if (versionCommand >> 4 !== 2) throw new ProxyHeaderError('PROXY v2 header with an unknown version');
  const command = versionCommand & 0x0f;
  if (command > 1) throw new ProxyHeaderError('PROXY v2 header with an unknown command');
  const length = V2_FIXED + bytes.readUInt16BE(14);
  if (length > MAX_V2_BYTES) throw new ProxyHeaderError('PROXY v2 header too long');
  if (bytes.length < length) return { kind: 'incomplete' };
  const complete = (source: ProxySource | undefined): CompleteHeader => ({
    kind: 'header',
    header: { version: 2, source },
    length,
  });
  // LOCAL: the proxy speaks for itself (a health check); TLVs and addresses are skipped.
  if (command === 0) return complete(undefined);
  const familyProtocol = bytes[13] ?? 0;
  // TCP over IPv4, TCP over IPv6; the rest (UNSPEC, UDP, UNIX sockets) carry no address we use.
  if (familyProtocol === 0x11) {
    if (length < V2_FIXED + 12) throw new ProxyHeaderError('PROXY v2 header too short for TCP4');
    const address = [...bytes.subarray(16, 20)].join('.');
    return complete({ address, port: bytes.readUInt16BE(24) });
  }
  if (familyProtocol === 0x21) {
    if (length < V2_FIXED + 36) throw new ProxyHeaderError('PROXY v2 header too short for TCP6');
    const groups: string[] = [];
    for (let at = 16; at < 32; at += 2) groups.push(bytes.readUInt16BE(at).toString(16));
    return complete({ address: normalizeAddress(groups.join(':')), port: bytes.readUInt16BE(48) });
  }
  return complete(undefined);
}
