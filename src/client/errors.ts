import { FtpError, type FtpReply } from '../protocol/index.js';

/**
 * The server answered a command with a 4xx or 5xx reply. The connection is still usable: the
 * error says what the server refused, not that the session broke.
 */
export class FtpReplyError extends FtpError {
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

/** The control connection is gone; `message` says why (the first cause, recorded once). */
export class ConnectionClosedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionClosedError';
  }
}

/** Something the client waited for (a connection, a reply, data) did not come in time. */
export class ClientTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientTimeoutError';
  }
}
