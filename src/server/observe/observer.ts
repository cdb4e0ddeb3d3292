/** A file transfer or listing as it ended, for transfer logs and metrics. */
export interface TransferRecord {
  direction: 'send' | 'receive' | 'list';
  /** The FTP path, as the user sees it. */
  path: string;
  /** Bytes that crossed the data connection. */
  bytes: number;
  ms: number;
  ok: boolean;
  aborted: boolean;
  mode: 'active' | 'passive';
  type: 'A' | 'I';
  user: string;
  anonymous: boolean;
  /** The client's address. */
  ip: string;
  /** When it ended (ms since the epoch). */
  endedAt: number;
}

export type LoginResult = 'ok' | 'failed' | 'banned';
export type RefusalReason = 'shutting-down' | 'max-connections' | 'max-per-ip' | 'max-unauthenticated';

/**
 * What a server reports as it runs, for whoever watches: the Prometheus metrics, the xferlog, a
 * library user's own code. Every method is optional and called synchronously on the hot path: an
 * observer must only count or queue, never block or throw.
 */
export interface ServerObserver {
  sessionOpened?(): void;
  sessionClosed?(): void;
  /** A connection turned away with 421 before its greeting. */
  connectionRefused?(reason: RefusalReason): void;
  login?(result: LoginResult): void;
  /** An address or an account starts a ban. */
  banned?(scope: 'address' | 'account'): void;
  reply?(code: number): void;
  /** How long the data connection took to stand, from the transfer command on. */
  dataConnected?(mode: 'active' | 'passive', ms: number): void;
  transfer?(record: TransferRecord): void;
}

/**
 * The observers of one server, called in turn. With none, an event costs a length check; an
 * observer that throws is reported once to `onError` and the others still hear the event.
 */
export class Observers implements Required<ServerObserver> {
  readonly #list: ServerObserver[] = [];
  readonly #onError: (err: unknown) => void;
  #failed = new WeakSet<ServerObserver>();

  constructor(onError: (err: unknown) => void = () => undefined) {
    this.#onError = onError;
  }

  add(observer: ServerObserver): void {
    this.#list.push(observer);
  }

  /** Whether anyone listens: callers skip building records nobody reads. */
  get watching(): boolean {
    return this.#list.length > 0;
  }

  sessionOpened(): void {
    if (this.watching) this.#each((o) => o.sessionOpened?.());
  }

  sessionClosed(): void {
    if (this.watching) this.#each((o) => o.sessionClosed?.());
  }

  connectionRefused(reason: RefusalReason): void {
    if (this.watching) this.#each((o) => o.connectionRefused?.(reason));
  }

  login(result: LoginResult): void {
    if (this.watching) this.#each((o) => o.login?.(result));
  }

  banned(scope: 'address' | 'account'): void {
    if (this.watching) this.#each((o) => o.banned?.(scope));
  }

  reply(code: number): void {
    if (this.watching) this.#each((o) => o.reply?.(code));
  }

  dataConnected(mode: 'active' | 'passive', ms: number): void {
    if (this.watching) this.#each((o) => o.dataConnected?.(mode, ms));
  }

  transfer(record: TransferRecord): void {
    if (this.watching) this.#each((o) => o.transfer?.(record));
  }

  #each(call: (observer: ServerObserver) => void): void {
    for (const observer of this.#list) {
      try {
        call(observer);
      } catch (err) {
        if (this.#failed.has(observer)) continue;
        this.#failed.add(observer);
        this.#onError(err);
      }
    }
  }
}
