import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { describeErrno } from '../fs/errors.js';
import { renewTicketsOnResume } from './ticket-renewal.js';

/** A certificate or key that cannot serve: its message is one line naming the file and why. */
export class TlsCredentialsError extends Error {
  override name = 'TlsCredentialsError';
}

/** The PEM text of a certificate (with its chain) and its key, read and checked once. */
export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** TLS 1.0 and 1.1 are deprecated (RFC 8996); no FTPS client in use needs them. */
const MIN_VERSION = 'TLSv1.2';
/** What tls.createSecureContext takes as `ticketKeys`: name, HMAC and AES keys. */
const TICKET_KEYS_BYTES = 48;

/**
 * Reads the certificate and key and makes sure they pair (OpenSSL checks the key against the
 * leaf certificate), so a wrong file stops startup or a reload rather than the first handshake.
 */
export async function loadTlsCredentials(certFile: string, keyFile: string): Promise<TlsCredentials> {
  const [cert, key] = await Promise.all([readPem(certFile, 'certificate'), readPem(keyFile, 'key')]);
  try {
    createSecureContext({ cert, key, minVersion: MIN_VERSION });
  } catch (err) {
    throw new TlsCredentialsError(`TLS certificate ${certFile} and key ${keyFile}: ${opensslReason(err)}`);
  }
  return { cert, key };
}

async function readPem(file: string, what: 'certificate' | 'key'): Promise<Buffer> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (err) {
    throw new TlsCredentialsError(`cannot read the TLS ${what} ${file}: ${describeErrno(err)}`);
  }
  if (!text.includes('-----BEGIN ')) {
    throw new TlsCredentialsError(`the TLS ${what} ${file} is not PEM (no "-----BEGIN" line)`);
  }
  return text;
}

/** "key values mismatch" rather than "error:05800074:x509 certificate routines::key values mismatch". */
function opensslReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message.split('::').pop() ?? message;
  if (/key values mismatch/i.test(reason)) return 'the key does not belong to the certificate';
  return reason;
}

/**
 * A context for one control connection and its data connections. Its ticket key is its own, so
 * only tickets issued on this control connection and its data connections decrypt here: a data
 * connection can resume this session and no other (TLS 1.2 and 1.3 alike; Node keeps no
 * server-side session-ID cache). Each resumption hands out a new ticket (renewTicketsOnResume).
 * The PEM is parsed again per context; the parsed form cannot be shared between contexts in Node.
 */
export function createSessionContext(credentials: TlsCredentials): SecureContext {
  const context = createSecureContext({
    cert: credentials.cert,
    key: credentials.key,
    minVersion: MIN_VERSION,
    // Used only where renewTicketsOnResume finds no hook in this Node.
    ticketKeys: randomBytes(TICKET_KEYS_BYTES),
  });
  renewTicketsOnResume(context);
  return context;
}
