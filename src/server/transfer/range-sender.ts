import type { Socket } from 'node:net';
import type { FileRange } from '../fs/file-range.js';

/** The data connection closed before every byte was sent (reset, or destroyed by an abort). */
export class PrematureCloseError extends Error {
  constructor() {
    super('The data connection closed before the download ended.');
    this.name = 'PrematureCloseError';
  }
}

/**
 * How a download of a file range settles, whichever way its bytes go (through buffers,
 * file-pump.ts, or with sendfile, kernel-pump.ts): resolved once the socket has sent the last byte
 * and ended after the sender's own end(); rejected on the socket's error or close, or on a
 * 'finish' that came before end() (Node ends the socket itself for a client that sent its FIN
 * mid-file, allowHalfOpen being off: that download did not complete and must not get a 226). It
 * never settles while the sender's own work is under way (a read into a buffer, a sendfile
 * thread): the range is closed then, so an aborted transfer leaves no descriptor or read behind.
 */
export abstract class RangeSender {
  #failure: Error | undefined;
  #settled = false;
  #ended = false;
  readonly #onError = (error: Error): void => this.fail(error);
  readonly #onClose = (): void => this.fail(new PrematureCloseError());
  readonly #onFinish = (): void => (this.#ended ? this.#succeed() : this.fail(new PrematureCloseError()));

  constructor(
    protected readonly range: FileRange,
    protected readonly socket: Socket,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {}

  protected get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Every byte is with the socket. */
  protected get ended(): boolean {
    return this.#ended;
  }

  /**
   * The listeners stay until the socket is gone (the runner destroys it after every transfer): an
   * 'error' after the transfer settled must still find one.
   */
  protected listen(): void {
    this.socket.on('error', this.#onError);
    this.socket.on('close', this.#onClose);
    this.socket.on('finish', this.#onFinish);
  }

  /** Hands the socket and the promise to another sender, which listens for itself. */
  protected handOver(next: (range: FileRange, socket: Socket) => Promise<void>): void {
    this.socket.off('error', this.#onError);
    this.socket.off('close', this.#onClose);
    this.socket.off('finish', this.#onFinish);
    next(this.range, this.socket).then(this.resolve, this.reject);
  }

  /** Every byte is with the socket: the file closes, and the client gets its EOF once they are sent. */
  protected end(): void {
    this.#ended = true;
    this.range.close();
    this.socket.end();
  }

  protected fail(error: Error): void {
    if (this.#settled || this.#failure !== undefined) return;
    this.#failure = error;
    this.socket.destroy();
    if (!this.stopWork()) this.settle();
  }

  /**
   * Stops the sender's work under way, if any: true when some is still to end (and its end then
   * calls settle()), false when none is.
   */
  protected abstract stopWork(): boolean;

  /** What the sender gives back when it settles (buffers); nothing by default. */
  protected giveBack(): void {}

  /** Rejects, once none of the sender's work is under way. */
  protected settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.range.close();
    this.giveBack();
    this.reject(this.#failure ?? new PrematureCloseError());
  }

  #succeed(): void {
    if (this.#settled || this.#failure !== undefined) return;
    this.#settled = true;
    this.resolve();
  }
}
