import { FtpClient } from '../client.js';
import { FtpReplyError, TlsCertificateError } from '../errors.js';
import type { ClientOptions } from '../options.js';
import type { ResolvedTarget } from './credentials.js';
import { printable } from './terminal-text.js';
import { formatHostPort } from './url.js';

/** The server could not be reached, or did not greet: the message says where and why. */
export class ConnectError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectError';
  }
}

/** The server refused the login: the message says where, as whom, and the server's reply. */
export class LoginError extends Error {
  readonly reply: FtpReplyError;

  constructor(message: string, reply: FtpReplyError) {
    super(message, { cause: reply });
    this.name = 'LoginError';
    this.reply = reply;
  }
}

/**
 * Opens the client's control connection to host:port and reads the greeting.
 * @throws ConnectError for a failure, the signal's reason when it fires first.
 */
export async function openConnection(
  client: FtpClient,
  host: string,
  port: number,
  signal: AbortSignal,
): Promise<void> {
  try {
    await client.connect({ host, port }, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ConnectError(`cannot connect to ${formatHostPort(host, port)}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/**
 * Logs the connected client in.
 * @throws LoginError when the server refuses; what the client throws when the connection fails.
 */
export async function logIn(client: FtpClient, user: string, password: string): Promise<void> {
  try {
    await client.login(user, password);
  } catch (error) {
    if (!(error instanceof FtpReplyError)) throw error;
    throw loginError(formatHostPort(client.host ?? '?', client.port ?? 21), user, error);
  }
}

/**
 * A new client, connected and logged in as the target says (the one-shot commands' start).
 * Nothing is left open when it fails or the signal fires.
 * @throws ConnectError, LoginError, or the signal's reason.
 */
export async function connectAndLogIn(
  target: ResolvedTarget,
  options: ClientOptions,
  signal: AbortSignal,
): Promise<FtpClient> {
  const { host, port, user, password } = target;
  try {
    return await FtpClient.connect({ ...options, host, port, user, password, signal });
  } catch (error) {
    if (signal.aborted) throw error;
    const where = formatHostPort(host, port);
    if (error instanceof FtpReplyError && !refusesTls(error)) throw loginError(where, user, error);
    throw new ConnectError(`cannot connect to ${where}: ${messageOf(error)}`, { cause: error });
  }
}

function loginError(where: string, user: string, error: FtpReplyError): LoginError {
  return new LoginError(
    `cannot log in to ${where} as ${printable(user)}: ${error.reply.code} ${error.reply.text}`,
    error,
  );
}

/** The refusal of AUTH TLS, PBSZ or PROT P: FTPS was asked for and the server will not have it. */
function refusesTls(error: FtpReplyError): boolean {
  return /^(AUTH|PBSZ|PROT) /i.test(error.command);
}

function messageOf(error: unknown): string {
  // What the user can do about it, said where it happens.
  if (error instanceof TlsCertificateError)
    return `${error.message}; --ca FILE trusts it, --insecure skips the check`;
  if (error instanceof FtpReplyError && refusesTls(error)) return `the server refuses TLS: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
