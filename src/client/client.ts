import type { Readable, Writable } from 'node:stream';
import type { FileEntry, FtpReply } from '../protocol/index.js';
import { abortReason } from './abort.js';
import { ControlConnection } from './control.js';
import { ConnectionClosedError } from './errors.js';
import { OperationQueue } from './operation-queue.js';
import type {
  ClientOptions,
  ConnectOptions,
  DataMode,
  DownloadOptions,
  ListOptions,
  TransferResult,
  TransferType,
  UploadOptions,
} from './options.js';
import { DEFAULTS, Session } from './session.js';
import { secureSession, TlsChannel } from './tls.js';

export { isPlainName } from '../protocol/index.js';

/** What `FtpClient.tls` tells of an FTPS connection. */
export interface TlsStatus {
  /** The control connection's TLS version, e.g. "TLSv1.3". */
  version: string;
  /** Whether the data connections are TLS too (the server accepted PROT P). */
  dataProtected: boolean;
}

/**
 * A promise-based FTP client: one control connection, a fresh data connection per transfer in the
 * mode the user picked (active: we listen and the server connects; passive: the server listens).
 *
 * Operations run one at a time, in the order they were called: several may be started without
 * waiting (`Promise.all`), and each waits for the ones before it; an AbortSignal cancels one that
 * still waits. To run operations side by side, use more connections (`fork()`).
 *
 * Errors, the same for every operation (so each method lists only its own):
 * - FtpReplyError: the server answered 4xx/5xx; the connection stays usable.
 * - ClientTimeoutError: a reply (`phase` 'reply', and the connection is then closed) or a data
 *   connection (`phase` 'data', the connection stays usable) did not come in time.
 * - ConnectionClosedError: the connection is gone (or never opened); every later call gets the
 *   same error, which says why.
 * - ProtocolViolationError: the server's reply made no sense (a PWD reply without a path).
 */
export class FtpClient {
  readonly #options: ClientOptions;
  readonly #queue = new OperationQueue();
  #session: Session | undefined;
  #host: string | undefined;
  #port: number | undefined;
  #user: string | undefined;
  #password: string | undefined;
  /** Who opens the data connections from the next transfer on. */
  mode: DataMode;
  /** The transfer type from the next transfer on, unless a transfer says otherwise. */
  type: TransferType = 'binary';

  constructor(options: ClientOptions = {}) {
    this.#options = { ...options };
    this.mode = options.mode ?? 'passive';
  }

  /**
   * A client connected and logged in: connect(), then login() (anonymous unless a user is given).
   * The signal cancels both: the promise rejects with its reason and nothing is left open.
   * @throws ConnectionClosedError when the server cannot be reached or refuses the session (421).
   * @throws ClientTimeoutError (`phase` 'connect') when no greeting comes within connectTimeoutMs.
   * @throws TlsCertificateError (FTPS) when the server's certificate does not verify: nothing,
   *   the password least of all, was sent over the connection.
   * @throws FtpReplyError when the login is refused (530), or (FTPS) the server refuses AUTH TLS,
   *   PBSZ or PROT P: `command` says which, and the connection is closed, not used in clear.
   */
  static async connect(options: ConnectOptions): Promise<FtpClient> {
    const { host, port, user, password, signal, ...clientOptions } = options;
    const client = new FtpClient(clientOptions);
    await client.#openSession({ host, port, user, password, signal });
    return client;
  }

  /** The control connection is up (connected, and not closed or broken since). */
  get isOpen(): boolean {
    return this.#session !== undefined && this.#session.control.closedReason === undefined;
  }

  /** The connection is up and logged in. */
  get isLoggedIn(): boolean {
    return this.isOpen && this.#session?.loggedIn === true;
  }

  /** The server's host, once connect() was called. */
  get host(): string | undefined {
    return this.#host;
  }

  /** The server's port, once connect() was called. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Who the client last logged in as. */
  get user(): string | undefined {
    return this.#user;
  }

  /** What FEAT offered: upper-case feature name to its parameters ('' when none). */
  get features(): ReadonlyMap<string, string> {
    return this.#session?.features ?? new Map<string, string>();
  }

  /**
   * The connection's security, when it is FTPS: the TLS version of the control connection, and
   * whether the data connections are TLS too (PROT P accepted). Undefined for plain FTP.
   */
  get tls(): TlsStatus | undefined {
    const channel = this.#session?.control.tls;
    if (channel === undefined) return undefined;
    return { version: channel.version ?? 'unknown', dataProtected: channel.dataProtected };
  }

  /**
   * Opens the control connection and reads the greeting; `login()` comes next. With `secure`, the
   * connection is made secure before it resolves: TLS (AUTH TLS first, for explicit FTPS), then
   * PBSZ 0 and PROT P. The signal cancels the attempt (the promise rejects with its reason).
   * @throws Error when the client is connected already (close() first).
   * @throws ConnectionClosedError when the server cannot be reached or refuses the session (421).
   * @throws ClientTimeoutError (`phase` 'connect') when no greeting comes within connectTimeoutMs,
   *   or (`phase` 'reply') when the TLS handshake after AUTH TLS takes longer than replyTimeoutMs.
   * @throws TlsCertificateError (FTPS) when the server's certificate does not verify; the
   *   connection is closed before anything else is sent.
   * @throws FtpReplyError (FTPS) when the server refuses AUTH TLS, PBSZ or PROT P: `command` says
   *   which. Unlike other replies, this one leaves the client closed: there is no falling back to
   *   clear text, so `isOpen` is false and the next call rejects with ConnectionClosedError.
   */
  async connect(
    target: { host: string; port?: number },
    options: { signal?: AbortSignal } = {},
  ): Promise<FtpReply> {
    if (this.isOpen) throw new Error('Already connected; close() first.');
    const secure = this.#options.secure ?? false;
    const port = target.port ?? (secure === 'implicit' ? 990 : 21);
    const tls = secure === false ? undefined : new TlsChannel(target.host, this.#options);
    const { control, greeting } = await ControlConnection.open(target.host, port, {
      connectTimeoutMs: this.#options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      replyTimeoutMs: this.#options.replyTimeoutMs ?? DEFAULTS.replyTimeoutMs,
      onProtocol: this.#options.onProtocol,
      logger: this.#options.logger?.child({ ftpServer: `${target.host}:${port}` }),
      signal: options.signal,
      encoding: this.#options.encoding,
      implicitTls: secure === 'implicit' ? tls : undefined,
    });
    if (secure !== false && tls !== undefined) {
      const { signal } = options;
      const onAbort = (): void => {
        control.destroy(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await secureSession(control, tls, secure);
      } catch (error) {
        control.destroy(error instanceof Error ? error : new Error(String(error)));
        throw signal?.aborted === true ? abortReason(signal) : error;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    }
    this.#session = new Session(control, this.#options, this);
    this.#host = target.host;
    this.#port = port;
    return greeting;
  }

  /**
   * USER, PASS if asked for, then FEAT, OPTS UTF8 ON and OPTS MLST where offered. Without a
   * password, the anonymous user sends the traditional "anonymous@", anyone else "".
   * @throws FtpReplyError when the server refuses the login (530), or asks for an account (332).
   */
  login(user = 'anonymous', password?: string): Promise<void> {
    return this.#run(undefined, async (session) => {
      const pass = await session.login(user, password);
      this.#user = user;
      this.#password = pass;
    });
  }

  /**
   * One path's entry: MLST's facts where the server offers them (a file, a directory or a link
   * alike), else SIZE and MDTM, which describe a file only. The name is the path's last part.
   * @throws FtpReplyError when the server refuses (550: no such file; or, without MLST, not a file).
   */
  stat(path: string): Promise<FileEntry> {
    return this.#run(undefined, (session) => session.stat(path));
  }

  /**
   * Sends one command line as it is and returns the final reply; with `ignoreErrors`, a 4xx/5xx
   * reply too (basic-ftp's `sendIgnoringError`).
   * @throws FtpReplyError for a 4xx/5xx reply, unless `ignoreErrors`.
   * @throws TypeError for a line holding CR, LF or NUL, which would smuggle in a second command.
   */
  raw(line: string, options: { ignoreErrors?: boolean } = {}): Promise<FtpReply> {
    return this.#run(undefined, (session) => session.raw(line, options));
  }

  /**
   * The current remote directory (PWD).
   * @throws ProtocolViolationError when the reply holds no quoted path.
   */
  pwd(): Promise<string> {
    return this.#run(undefined, (session) => session.pwd());
  }

  /**
   * Changes the remote directory (CWD).
   * @throws FtpReplyError when there is no such directory (550).
   */
  cd(path: string): Promise<void> {
    return this.#run(undefined, (session) => session.cd(path));
  }

  /**
   * Goes to the parent remote directory (CDUP).
   * @throws FtpReplyError when the server refuses.
   */
  cdup(): Promise<void> {
    return this.#run(undefined, (session) => session.cdup());
  }

  /**
   * A remote file's size in bytes (SIZE, asked in binary type: its size as stored).
   * @throws FtpReplyError when there is no such file, or it is a directory (550).
   * @throws ProtocolViolationError when the reply holds no size.
   */
  size(path: string): Promise<number> {
    return this.#run(undefined, (session) => session.size(path));
  }

  /**
   * A remote file's modification time, to the second (MDTM).
   * @throws FtpReplyError when there is no such file, or the server has no MDTM (500/502).
   * @throws ProtocolViolationError when the reply holds no time.
   */
  modifiedTime(path: string): Promise<Date> {
    return this.#run(undefined, (session) => session.modifiedTime(path));
  }

  /**
   * Sets a remote file's modification time, to the second (MFMT, draft-somers-ftp-mfxx; most
   * servers that have it list it in FEAT).
   * @throws FtpReplyError when there is no such file, or the server has no MFMT (500/502).
   */
  setModifiedTime(path: string, time: Date): Promise<void> {
    return this.#run(undefined, (session) => session.setModifiedTime(path, time));
  }

  /**
   * Makes a remote directory (MKD); with `parents`, every missing directory on the way too, and
   * one that exists already is fine (`mkdir -p`).
   * @throws FtpReplyError when it cannot be made: it exists (without `parents`), a file is in the
   *   way, no permission.
   */
  mkdir(path: string, options: { parents?: boolean } = {}): Promise<void> {
    return this.#run(undefined, (session) => session.mkdir(path, options));
  }

  /**
   * Whether the path is a directory this session can enter (a link to one too): a CWD there and
   * back, which every server understands. A refused CWD is a false, not an error.
   * @throws FtpReplyError when the way back (CWD to where it was) is refused.
   */
  isDirectory(path: string): Promise<boolean> {
    return this.#run(undefined, (session) => session.isDirectory(path));
  }

  /**
   * Deletes a remote file (DELE).
   * @throws FtpReplyError when there is no such file, it is a directory, or no permission (550).
   */
  remove(path: string): Promise<void> {
    return this.#run(undefined, (session) => session.remove(path));
  }

  /**
   * Removes a remote directory (RMD); with `recursive`, everything in it first, hidden names too
   * (names from the listing are joined to the path, never trusted as paths themselves).
   * @throws FtpReplyError for the first entry, or the directory itself, that the server refuses to
   *   remove (550: not empty, without `recursive`).
   */
  removeDir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    return this.#run(undefined, (session) => session.removeDir(path, options));
  }

  /**
   * Renames or moves a remote file or directory (RNFR, RNTO).
   * @throws FtpReplyError when there is no such file (RNFR) or the new name is refused (RNTO).
   */
  rename(from: string, to: string): Promise<void> {
    return this.#run(undefined, (session) => session.rename(from, to));
  }

  /**
   * The entries of a directory (the current one without a path): MLSD when the server offers
   * MLST (exact facts, no guessing), LIST otherwise, parsed from Unix or DOS format (or by the
   * `parseListing` option). "." and ".." are left out, and so are names that hold "/" or NUL.
   * @throws FtpReplyError when there is no such directory (550).
   * @throws ProtocolViolationError when the listing is larger than `maxListingBytes`.
   * @throws The signal's reason when it fires (the client sends ABOR; the connection stays usable).
   */
  list(path?: string, options: ListOptions = {}): Promise<FileEntry[]> {
    return this.#run(options.signal, (session) => session.list(path, options));
  }

  /**
   * Makes the directory and every missing one on the way (`mkdir -p`), then enters it.
   * @throws FtpReplyError when a directory cannot be made (a file is in the way) or entered.
   */
  ensureDir(path: string): Promise<void> {
    return this.#run(undefined, (session) => session.ensureDir(path));
  }

  /**
   * Removes everything in the current directory, directories with all they hold, hidden names
   * too; the directory itself stays.
   * @throws FtpReplyError for the first entry the server refuses to remove.
   */
  clearWorkingDir(): Promise<void> {
    return this.#run(undefined, (session) => session.clearWorkingDir());
  }

  /**
   * Downloads a remote file into a local file (by path) or a stream, which is ended afterwards.
   * A local file is opened only once the server has agreed to send (its 1xx reply), so a refused
   * download leaves it as it was; the promise resolves once the data is all written **and** the
   * server has confirmed the transfer (226). Note the order: source first, then destination.
   * @throws FtpReplyError when the server refuses (550: no such file) or ends the transfer with a
   *   failure (426, 451).
   * @throws ClientTimeoutError (`phase` 'data') when the data connection does not open, or falls
   *   silent, for dataTimeoutMs.
   * @throws The signal's reason when it fires (the client sends ABOR; the connection stays usable).
   * @throws The local file system's error (ENOENT for a missing directory, ENOSPC) for a file.
   */
  download(
    remotePath: string,
    destination: string | Writable,
    options: DownloadOptions = {},
  ): Promise<TransferResult> {
    return this.#run(options.signal, (session) => session.download(remotePath, destination, options));
  }

  /**
   * Uploads a local file (by path) or a stream to a remote path. A local file is opened before
   * the server is asked to store anything, so a missing one leaves no empty remote file; the
   * promise resolves once the server has confirmed the transfer (226).
   * @throws FtpReplyError when the server refuses (553, 550: no permission) or ends the transfer
   *   with a failure (426, 451, 452).
   * @throws ClientTimeoutError (`phase` 'data') when the data connection does not open, or takes
   *   no data, for dataTimeoutMs.
   * @throws The signal's reason when it fires (the client sends ABOR; the connection stays usable).
   * @throws RangeError for a `range` outside the file; TypeError for `range` with `resume`.
   * @throws The local file system's error (ENOENT) for a file.
   */
  upload(
    source: string | Readable,
    remotePath: string,
    options: UploadOptions = {},
  ): Promise<TransferResult> {
    return this.#run(options.signal, (session) => session.upload(source, remotePath, options));
  }

  /**
   * A second logged-in connection to the same server, with the same options, in the same
   * directory: the way to run operations side by side. The signal cancels opening it.
   * @throws Error when this client is not logged in.
   * @throws What connect() and login() throw, for the new connection.
   */
  async fork(options: { signal?: AbortSignal } = {}): Promise<FtpClient> {
    const host = this.#host;
    if (host === undefined || !this.isLoggedIn) throw new Error('Not logged in.');
    const cwd = await this.pwd();
    const other = new FtpClient({ ...this.#options, mode: this.mode });
    other.type = this.type;
    await other.#openSession({
      host,
      port: this.#port,
      user: this.#user,
      password: this.#password,
      ...options,
    });
    try {
      await other.cd(cwd);
    } catch (error) {
      other.#session?.control.destroy();
      throw error;
    }
    return other;
  }

  /**
   * Connects again to the same server and logs in again as the same user, after the connection
   * broke (or was closed). The directory is the login directory again; cd() back where needed.
   * It waits for the operations before it, as every operation does. The signal cancels it.
   * @throws Error when the client never logged in; what connect() and login() throw.
   */
  reconnect(options: { signal?: AbortSignal } = {}): Promise<void> {
    const host = this.#host;
    if (host === undefined || this.#user === undefined) {
      return Promise.reject(new Error('Not logged in before; nothing to reconnect.'));
    }
    return this.#queue.run(options.signal, async () => {
      this.#session?.control.destroy();
      await this.#openSession({
        host,
        port: this.#port,
        user: this.#user,
        password: this.#password,
        ...options,
      });
    });
  }

  /**
   * QUIT, then closes the connection; safe to call twice, and on a broken connection. It does not
   * wait for operations still queued: they fail with ConnectionClosedError. Never rejects.
   */
  async close(): Promise<void> {
    const control = this.#session?.control;
    if (control === undefined || control.closedReason !== undefined) return;
    try {
      await control.send('QUIT');
    } catch {
      // Already gone: closing is what we wanted.
    }
    control.destroy();
    await control.closed;
  }

  /** Runs an operation on the session once the operations before it are done. */
  #run<T>(signal: AbortSignal | undefined, operation: (session: Session) => Promise<T>): Promise<T> {
    return this.#queue.run(signal, () => operation(this.#requireSession()));
  }

  #requireSession(): Session {
    const session = this.#session;
    if (session === undefined) throw new ConnectionClosedError('Not connected.');
    const closed = session.control.closedReason;
    if (closed !== undefined) throw closed;
    return session;
  }

  /** Connects and logs in, outside the queue (the caller has its turn); nothing is left open on a failure or an abort. */
  async #openSession(target: {
    host: string;
    port: number | undefined;
    user: string | undefined;
    password: string | undefined;
    signal?: AbortSignal | undefined;
  }): Promise<void> {
    const { signal } = target;
    const onAbort = (): void => {
      this.#session?.control.destroy(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.connect(
        { host: target.host, ...(target.port === undefined ? {} : { port: target.port }) },
        signal === undefined ? {} : { signal },
      );
      const session = this.#requireSession();
      const user = target.user ?? 'anonymous';
      this.#password = await session.login(user, target.password);
      this.#user = user;
    } catch (error) {
      this.#session?.control.destroy();
      throw signal?.aborted === true ? abortReason(signal) : error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
