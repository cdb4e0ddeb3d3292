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

export { isPlainName } from '../protocol/index.js';

/**
 * A promise-based FTP client: one control connection, a fresh data connection per transfer in the
 * mode the user picked (active: we listen and the server connects; passive: the server listens).
 *
 * Operations run one at a time, in the order they were called: several may be started without
 * waiting (`Promise.all`), and each waits for the ones before it; an AbortSignal cancels one that
 * still waits. To run operations side by side, use more connections (`fork()`).
 *
 * Every 4xx/5xx reply rejects with an FtpReplyError and leaves the connection usable; a broken
 * connection rejects everything with one ConnectionClosedError.
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
   * Connects, reads the greeting and logs in (anonymous unless a user is given). The signal
   * cancels both: the promise rejects with its reason and nothing is left open.
   */
  static async connect(options: ConnectOptions): Promise<FtpClient> {
    const { host, port, user, password, signal, ...clientOptions } = options;
    const client = new FtpClient(clientOptions);
    await client.#openSession({ host, port, user, password, signal });
    return client;
  }

  get isOpen(): boolean {
    return this.#session !== undefined && this.#session.control.closedReason === undefined;
  }

  get isLoggedIn(): boolean {
    return this.isOpen && this.#session?.loggedIn === true;
  }

  get host(): string | undefined {
    return this.#host;
  }

  get port(): number | undefined {
    return this.#port;
  }

  get user(): string | undefined {
    return this.#user;
  }

  /** What FEAT offered: upper-case feature name to its parameters ('' when none). */
  get features(): ReadonlyMap<string, string> {
    return this.#session?.features ?? new Map<string, string>();
  }

  /**
   * Opens the control connection and reads the greeting; `login()` comes next. The signal cancels
   * the attempt (the promise rejects with its reason).
   */
  async connect(
    target: { host: string; port?: number },
    options: { signal?: AbortSignal } = {},
  ): Promise<FtpReply> {
    if (this.isOpen) throw new Error('Already connected; close() first.');
    const port = target.port ?? 21;
    const { control, greeting } = await ControlConnection.open(target.host, port, {
      connectTimeoutMs: this.#options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      replyTimeoutMs: this.#options.replyTimeoutMs ?? DEFAULTS.replyTimeoutMs,
      onProtocol: this.#options.onProtocol,
      logger: this.#options.logger?.child({ ftpServer: `${target.host}:${port}` }),
      signal: options.signal,
      encoding: this.#options.encoding,
    });
    this.#session = new Session(control, this.#options, this);
    this.#host = target.host;
    this.#port = port;
    return greeting;
  }

  /** USER, PASS if asked for, then FEAT, OPTS UTF8 ON and OPTS MLST where offered. */
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

  pwd(): Promise<string> {
    return this.#run(undefined, (session) => session.pwd());
  }

  cd(path: string): Promise<void> {
    return this.#run(undefined, (session) => session.cd(path));
  }

  cdup(): Promise<void> {
    return this.#run(undefined, (session) => session.cdup());
  }

  size(path: string): Promise<number> {
    return this.#run(undefined, (session) => session.size(path));
  }

  modifiedTime(path: string): Promise<Date> {
    return this.#run(undefined, (session) => session.modifiedTime(path));
  }

  /** MFMT (draft-somers-ftp-mfxx), which most servers that support it list in FEAT. */
  setModifiedTime(path: string, time: Date): Promise<void> {
    return this.#run(undefined, (session) => session.setModifiedTime(path, time));
  }

  /** MKD; with `parents`, every missing directory on the way too, and an existing one is fine. */
  mkdir(path: string, options: { parents?: boolean } = {}): Promise<void> {
    return this.#run(undefined, (session) => session.mkdir(path, options));
  }

  /**
   * Whether the path is a directory this session can enter (a link to one too): a CWD there and
   * back, which every server understands.
   */
  isDirectory(path: string): Promise<boolean> {
    return this.#run(undefined, (session) => session.isDirectory(path));
  }

  remove(path: string): Promise<void> {
    return this.#run(undefined, (session) => session.remove(path));
  }

  /** RMD; with `recursive`, everything inside first (listing names are joined, never trusted as paths). */
  removeDir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    return this.#run(undefined, (session) => session.removeDir(path, options));
  }

  rename(from: string, to: string): Promise<void> {
    return this.#run(undefined, (session) => session.rename(from, to));
  }

  /**
   * The entries of a directory: MLSD when the server offers MLST (exact facts, no guessing), LIST
   * otherwise, parsed from Unix or DOS format. "." and ".." are left out.
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

  /** Downloads a remote file into a local file (by path) or a stream, which is ended afterwards. */
  download(
    remotePath: string,
    destination: string | Writable,
    options: DownloadOptions = {},
  ): Promise<TransferResult> {
    return this.#run(options.signal, (session) => session.download(remotePath, destination, options));
  }

  /** Uploads a local file (by path) or a stream to a remote path. */
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
   * wait for operations still queued: they fail with ConnectionClosedError.
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
