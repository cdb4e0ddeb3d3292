import { FtpError, ProtocolViolationError, type FtpReply } from '../protocol/index.js';

/**
 * The server answered a command with a 4xx or 5xx reply. The connection is still usable: the
 * error says what the server refused, not that the session broke.
 */
export class FtpReplyError extends FtpError {
  /** Always "ERR_FTP_REPLY". */
  override readonly code: string = 'ERR_FTP_REPLY';
  /** The whole reply: its code and text (every line of a multi-line one). */
  readonly reply: FtpReply;
  /** The command as sent, with a PASS argument masked. */
  readonly command: string;

  constructor(command: string, reply: FtpReply) {
    super(reply.code, `${command}: ${reply.code} ${reply.text}`);
    this.name = 'FtpReplyError';
    this.reply = reply;
    this.command = command;
  }
}

/**
 * The control connection is gone; `message` says why (the first cause, recorded once), and every
 * later call on the client rejects with this same error.
 */
export class ConnectionClosedError extends Error {
  /** Always "ERR_FTP_CONNECTION_CLOSED". */
  readonly code: string = 'ERR_FTP_CONNECTION_CLOSED';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionClosedError';
  }
}

/** What the client was waiting for when it gave up. */
export type TimeoutPhase = 'connect' | 'reply' | 'data';

/**
 * Something the client waited for did not come in time: the greeting (`connect`), a reply
 * (`reply`), or a data connection or its data (`data`). Every timeout is one of these. After a
 * `connect` or `reply` timeout the connection is closed (the calls after it reject with a
 * ConnectionClosedError whose `cause` is this error); after a `data` timeout it stays usable.
 */
export class ClientTimeoutError extends Error {
  /** Always "ERR_FTP_TIMEOUT". */
  readonly code: string = 'ERR_FTP_TIMEOUT';
  /** What the client waited for: see TimeoutPhase. */
  readonly phase: TimeoutPhase;

  constructor(message: string, phase: TimeoutPhase) {
    super(message);
    this.name = 'ClientTimeoutError';
    this.phase = phase;
  }
}

/**
 * Active mode: a data connection came from an address other than the server's and was turned
 * away (as `allowForeignActivePeer` is off), and then the transfer failed for want of one: the
 * server did not connect back in time (`cause` is a ClientTimeoutError) or gave up (`cause` is
 * its FtpReplyError). Typically the server sits behind a load balancer or NAT and connects from
 * an address of its own. The connection stays usable.
 */
export class ForeignDataPeerError extends Error {
  /** Always "ERR_FTP_FOREIGN_DATA_PEER". */
  readonly code: string = 'ERR_FTP_FOREIGN_DATA_PEER';
  /** The address the refused connection came from (the first one, when there were several). */
  readonly peer: string;
  /** The control connection's peer: the only address a data connection is taken from by default. */
  readonly serverAddress: string;
  /** How the transfer failed after the refusal. */
  declare readonly cause: ClientTimeoutError | FtpReplyError;

  constructor(peer: string, serverAddress: string, cause: ClientTimeoutError | FtpReplyError) {
    super(
      `Refused a data connection from ${peer}, not the server's address ${serverAddress} ` +
        `(allowForeignActivePeer permits it); then: ${cause.message}`,
      { cause },
    );
    this.name = 'ForeignDataPeerError';
    this.peer = peer;
    this.serverAddress = serverAddress;
  }
}

/**
 * Passive mode: the PASV reply named a host other than the server's, and the client refused to
 * connect there (as `allowForeignPasvHost` is off): a reply like that can point the client at a
 * third party. Typically the server sits behind NAT and announces an address of its own. Nothing
 * was sent; the connection stays usable.
 */
export class ForeignPasvHostError extends ProtocolViolationError {
  /** The host the PASV reply named. */
  readonly host: string;
  /** The control connection's peer: the only host a passive data connection goes to by default. */
  readonly serverAddress: string;

  constructor(host: string, serverAddress: string) {
    super(
      `PASV reply names ${host}, not the server's address ${serverAddress}; refused (allowForeignPasvHost permits it).`,
    );
    this.name = 'ForeignPasvHostError';
    this.host = host;
    this.serverAddress = serverAddress;
  }
}

/** Why a server's TLS certificate was refused. */
export type CertificateProblem =
  'self-signed' | 'expired' | 'not-yet-valid' | 'wrong-host' | 'untrusted' | 'invalid';

/**
 * The server's TLS certificate did not verify (FTPS with `rejectUnauthorized`, the default): the
 * connection is closed before a password or a byte of data goes out. `message` says why in one
 * line; `problem` says it for programs; `cause` is Node's own error.
 */
export class TlsCertificateError extends Error {
  /** Always "ERR_FTP_TLS_CERTIFICATE". */
  readonly code: string = 'ERR_FTP_TLS_CERTIFICATE';
  /** Why the certificate failed, for programs to act on (the message says it for people). */
  readonly problem: CertificateProblem;
  /** The host the client connected to. */
  readonly host: string;

  constructor(problem: CertificateProblem, host: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TlsCertificateError';
    this.problem = problem;
    this.host = host;
  }
}
