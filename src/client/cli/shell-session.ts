import type { FtpClient } from '../client.js';
import { logIn, openConnection } from './connect.js';
import { ANONYMOUS_PASSWORD, type ResolvedTarget } from './credentials.js';
import type { ConnectionSecurity } from './security.js';
import { ShellError } from './shell-error.js';
import { formatHostPort } from './url.js';

/** A user name and password for the login. */
export interface Credentials {
  user: string;
  password: string;
}

/** What opening and logging in need from the shell. */
export interface SessionIo {
  readonly signal: AbortSignal;
  /** Input is a terminal: a missing user name is asked for, as ftp(1) does. */
  readonly interactive: boolean;
  print(line: string): void;
  /** An FtpClient wired to the shell (mode, type, verbose output), with these FTPS options. */
  newClient(security: ConnectionSecurity): FtpClient;
  /** A line of input, shown as typed. */
  ask(prompt: string): Promise<string>;
  /** A password: without echo on a terminal. */
  askPassword(prompt: string): Promise<string>;
}

const ANONYMOUS_USERS = new Set(['anonymous', 'ftp']);

/**
 * The shell's connection to one server and the login on it, as lftp does it: `open` connects,
 * and the login comes with `user`, or with the first command that needs one, as the user the
 * URL, the environment or .netrc named (anonymous when none did). A login is tried once per
 * connection: after a refusal, commands say "Not logged in." without asking the server, and
 * `user` starts a fresh connection (many servers refuse a second USER).
 */
export class RemoteSession {
  readonly client: FtpClient;
  readonly host: string;
  readonly port: number;
  /** FTPS or not, and how the server is verified: `user` connects again the same way. */
  readonly security: ConnectionSecurity;
  /** For a command that needs a login before `user` gave one; undefined: anonymous. */
  readonly #credentials: Credentials | undefined;
  /** Where to go once logged in (the URL's path), until then. */
  #startPath: string;
  #loginTried = false;

  constructor(
    client: FtpClient,
    target: Pick<ResolvedTarget, 'host' | 'port' | 'path'>,
    security: ConnectionSecurity,
    credentials?: Credentials,
  ) {
    this.client = client;
    this.host = target.host;
    this.port = target.port;
    this.security = security;
    this.#startPath = target.path;
    this.#credentials = credentials;
  }

  /** host:port, for messages. */
  get where(): string {
    return formatHostPort(this.host, this.port);
  }

  /** A USER went out on this connection, whatever came of it. */
  get loginTried(): boolean {
    return this.#loginTried;
  }

  /**
   * USER and PASS, then the URL's directory on the first success.
   * @throws LoginError when the server refuses.
   */
  async logIn(user: string, password: string, print: (line: string) => void): Promise<void> {
    this.#loginTried = true;
    await logIn(this.client, user, password);
    print(`Logged in as ${user}.`);
    const path = this.#startPath;
    this.#startPath = '';
    if (path !== '') await this.client.cd(path);
  }

  /**
   * Before a command that needs a login: logs in as the known user, else anonymously, unless a
   * login was tried on this connection already.
   * @throws ShellError "Not logged in." after a refused login; LoginError when this one is refused.
   */
  async ensureLoggedIn(print: (line: string) => void): Promise<void> {
    if (this.client.isLoggedIn) return;
    if (this.#loginTried) throw new ShellError('Not logged in. (user NAME logs in)');
    const { user, password } = this.#credentials ?? { user: 'anonymous', password: ANONYMOUS_PASSWORD };
    await this.logIn(user, password, print);
  }

  /** A new connection to the same server, this one closed; the URL's directory still to come if it had not. */
  async reopen(io: SessionIo): Promise<RemoteSession> {
    await this.client.close().catch(() => undefined);
    const client = io.newClient(this.security);
    await openConnection(client, this.host, this.port, io.signal);
    const target = { host: this.host, port: this.port, path: this.#startPath };
    return new RemoteSession(client, target, this.security);
  }
}

/**
 * Connects to the target and, when a user is known, logs in at once. On a terminal with no user
 * known, asks for the name (empty: anonymous) and the password, as ftp(1) does; otherwise the
 * login waits for `user` or for the first command that needs one. `onOpen` gets the session as
 * soon as the connection is up (secure already, for FTPS), so that a refused login still leaves it
 * for `user`.
 * @throws ConnectError when the server cannot be reached, refuses TLS, or its certificate does not
 *   verify; LoginError when the login is refused.
 */
export async function openSession(
  io: SessionIo,
  target: ResolvedTarget,
  security: ConnectionSecurity,
  onOpen: (session: RemoteSession) => void,
): Promise<void> {
  const client = io.newClient(security);
  await openConnection(client, target.host, target.port, io.signal);
  const known = target.userGiven ? { user: target.user, password: target.password } : undefined;
  const session = new RemoteSession(client, target, security, known);
  onOpen(session);
  io.print(`Connected to ${session.where}.`);
  if (known !== undefined) {
    await session.logIn(known.user, known.password, (line) => io.print(line));
    return;
  }
  if (!io.interactive) return;
  const name = (await io.ask(`Name (${session.where}): `)).trim() || 'anonymous';
  const password = ANONYMOUS_USERS.has(name.toLowerCase())
    ? ANONYMOUS_PASSWORD
    : await io.askPassword('Password: ');
  await session.logIn(name, password, (line) => io.print(line));
}
