import { isIP, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
} from 'node:tls';
import { isFailure, Reply, type FtpReply } from '../protocol/index.js';
import { ClientTimeoutError, FtpReplyError, TlsCertificateError, type CertificateProblem } from './errors.js';
import type { TlsOptions } from './options.js';

/** What negotiating FTPS needs of the control connection. */
export interface SecurableControl {
  send(verb: string, arg?: string): Promise<FtpReply>;
  startTls(channel: TlsChannel): Promise<void>;
}

/**
 * Makes a freshly greeted session secure: AUTH TLS and the handshake (explicit FTPS; implicit
 * FTPS is TLS already), then PBSZ 0 and PROT P, so that every data connection is TLS too. All of
 * it before USER, so the password only ever travels encrypted.
 * @throws FtpReplyError when the server refuses AUTH TLS, PBSZ or PROT P: a secure session was
 *   asked for, so there is no falling back to clear text.
 * @throws TlsCertificateError when the certificate does not verify.
 */
export async function secureSession(
  control: SecurableControl,
  channel: TlsChannel,
  mode: 'explicit' | 'implicit',
): Promise<void> {
  if (mode === 'explicit') {
    const auth = await control.send('AUTH', 'TLS');
    if (auth.code !== Reply.AuthOk) throw new FtpReplyError('AUTH TLS', auth);
    await control.startTls(channel);
  }
  for (const [verb, arg] of [
    ['PBSZ', '0'],
    ['PROT', 'P'],
  ] as const) {
    const reply = await control.send(verb, arg);
    if (isFailure(reply.code)) throw new FtpReplyError(`${verb} ${arg}`, reply);
  }
  channel.dataProtected = true;
}

/** Node's verification error codes, by what they mean to a user. */
const PROBLEMS: ReadonlyMap<string, CertificateProblem> = new Map<string, CertificateProblem>([
  ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed'],
  ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed'],
  ['CERT_HAS_EXPIRED', 'expired'],
  ['CERT_NOT_YET_VALID', 'not-yet-valid'],
  ['ERR_TLS_CERT_ALTNAME_INVALID', 'wrong-host'],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted'],
  ['UNABLE_TO_GET_ISSUER_CERT', 'untrusted'],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'untrusted'],
  ['CERT_UNTRUSTED', 'untrusted'],
  ['CERT_REVOKED', 'invalid'],
  ['CERT_SIGNATURE_FAILURE', 'invalid'],
  ['CERT_REJECTED', 'invalid'],
  ['INVALID_CA', 'invalid'],
  ['INVALID_PURPOSE', 'invalid'],
]);

/**
 * The TLS side of one FTPS session: how the server is verified, and the control connection's
 * session, which every data connection resumes. Servers that bind the data to the control
 * connection (vsftpd's require_ssl_reuse, ftpkitd) refuse a data connection that does not, since
 * anyone who guesses a passive port could otherwise take the data.
 */
export class TlsChannel {
  readonly #host: string;
  readonly #options: TlsOptions;
  #session: Buffer | undefined;
  #version: string | undefined;
  /** PROT P was accepted: the data connections are TLS too. */
  dataProtected = false;

  constructor(host: string, options: TlsOptions) {
    this.#host = host;
    this.#options = options;
  }

  /** The protocol the control connection negotiated ("TLSv1.3"), once it has. */
  get version(): string | undefined {
    return this.#version;
  }

  /** What tls.connect() needs for this server, control and data connections alike. */
  connectOptions(): ConnectionOptions {
    const { ca, rejectUnauthorized, servername } = this.#options;
    // Node sends no SNI for an IP address, and checks the certificate against `host` then.
    const name = servername ?? (isIP(this.#host) === 0 ? this.#host : undefined);
    return {
      host: this.#host,
      ...(name === undefined ? {} : { servername: name }),
      ...(ca === undefined ? {} : { ca }),
      rejectUnauthorized: rejectUnauthorized ?? true,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    };
  }

  /**
   * Follows the control connection's TLS socket from its creation: its protocol, and its latest
   * session. With TLS 1.3 the session ticket comes after the handshake, and may be replaced by
   * later ones; the newest is what a data connection offers.
   */
  track(control: TLSSocket): void {
    control.on('session', (session: Buffer) => {
      this.#session = session;
    });
    control.once('secureConnect', () => {
      this.#version = control.getProtocol() ?? undefined;
    });
  }

  /**
   * Starts TLS on a connected data socket as the client, offering the control connection's
   * session (RFC 4217 section 7: the client is the TLS client whoever opened the connection).
   * Resolves once the handshake is done; the handshake starts at once, so the command that makes
   * the server take part (vsftpd reads the ClientHello only after RETR) can be sent meanwhile.
   * @throws TlsCertificateError, or ClientTimeoutError (`phase` 'data') after `timeoutMs`.
   */
  secureData(raw: Socket, timeoutMs: number): Promise<TLSSocket> {
    const socket = tlsConnect({
      ...this.connectOptions(),
      socket: raw,
      ...(this.#session === undefined ? {} : { session: this.#session }),
    });
    return handshake(socket, this.#host, timeoutMs, 'data');
  }
}

/**
 * Waits for a TLS socket's handshake.
 * @throws TlsCertificateError when the certificate does not verify; the socket's error otherwise;
 *   ClientTimeoutError after `timeoutMs`.
 */
export function handshake(
  socket: TLSSocket,
  host: string,
  timeoutMs: number,
  phase: 'reply' | 'data',
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onClose = (): void => {
      done();
      reject(new Error(`Connection to ${host} closed during the TLS handshake.`));
    };
    const onSecure = (): void => {
      done();
      resolve(socket);
    };
    const onError = (error: Error): void => {
      done();
      socket.destroy();
      reject(certificateError(error, socket, host) ?? error);
    };
    const timer = setTimeout(() => {
      done();
      socket.destroy();
      reject(new ClientTimeoutError(`TLS handshake with ${host} not done within ${timeoutMs} ms.`, phase));
    }, timeoutMs);
    socket.once('secureConnect', onSecure);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/** Node's verification failure as a TlsCertificateError, or undefined for any other error. */
export function certificateError(
  error: Error,
  socket: TLSSocket,
  host: string,
): TlsCertificateError | undefined {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const problem = PROBLEMS.get(code);
  if (problem === undefined) return undefined;
  // A wrong host's error carries the certificate; after other failures the socket may still have it.
  const carried = (error as { cert?: PeerCertificate }).cert;
  const cert = carried ?? peerCertificate(socket);
  return new TlsCertificateError(problem, host, describe(problem, host, cert, error), { cause: error });
}

function peerCertificate(socket: TLSSocket): PeerCertificate | undefined {
  try {
    const cert = socket.getPeerCertificate();
    return Object.keys(cert).length === 0 ? undefined : cert;
  } catch {
    return undefined;
  }
}

function describe(
  problem: CertificateProblem,
  host: string,
  cert: PeerCertificate | undefined,
  error: Error,
): string {
  const whose = `the TLS certificate of ${host}`;
  switch (problem) {
    case 'self-signed':
      return `${whose} is self-signed (no trusted authority vouches for it)`;
    case 'expired':
      return `${whose} expired${cert === undefined ? '' : ` on ${isoDate(cert.valid_to)}`}`;
    case 'not-yet-valid':
      return `${whose} is not valid yet${cert === undefined ? '' : ` (from ${isoDate(cert.valid_from)})`}`;
    case 'wrong-host': {
      const names =
        cert?.subjectaltname ?? (cert === undefined ? undefined : `CN=${String(cert.subject.CN)}`);
      return `${whose} is for another host${names === undefined ? '' : ` (${names})`}`;
    }
    case 'untrusted':
      return `${whose} is issued by an authority that is not trusted`;
    case 'invalid':
      return `${whose} is invalid: ${error.message}`;
  }
}

function isoDate(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? text : new Date(time).toISOString().replace(/\.\d+Z$/, 'Z');
}
