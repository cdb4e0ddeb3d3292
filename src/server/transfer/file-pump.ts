import { read } from 'node:fs';
import type { Socket } from 'node:net';
import { toFtpError } from '../fs/errors.js';
import type { FileRange } from '../fs/file-range.js';

/** One read: a quarter of the reads (and thread-pool round trips) of a 256 KiB stream chunk. */
const BUFFER_BYTES = 1024 * 1024;
/** What a transfer reads into when the shared pool is out: small, as many transfers may hold them. */
const OWN_BUFFER_BYTES = 64 * 1024;
/**
 * Buffers per transfer at most: one being read while others wait for the socket. Taken as needed,
 * so a transfer whose socket keeps up uses two.
 */
const MAX_BUFFERS = 3;
/** Pooled buffers out at once in the process (8 MiB): twice the thread pool's four reads at a time. */
const POOL_BUFFERS = 8;

/**
 * The 1 MiB buffers every download of the process shares, reused from one transfer to the next. At
 * most POOL_BUFFERS are out at once: 200 downloads starting together would otherwise each make
 * 1 MiB before their first read, while the thread pool reads four files at a time (200 MiB more
 * at the peak, for nothing). Past that a download reads into small buffers of its own, so clients
 * that stall with pooled buffers slow the others down, never stop them.
 */
class BufferPool {
  readonly #free: Buffer[] = [];
  #out = 0;

  take(): Buffer | undefined {
    if (this.#out >= POOL_BUFFERS) return undefined;
    this.#out++;
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES);
  }

  give(buffer: Buffer): void {
    this.#out--;
    this.#free.push(buffer);
  }

  /** Buffers out now (for tests). */
  get out(): number {
    return this.#out;
  }
}

export const sharedBuffers = new BufferPool();

/**
 * Sends a file range to the socket through a few reused buffers: no Buffer per chunk and no stream
 * machinery, which took more CPU than the bytes did (see docs/performance.md). The next read goes
 * ahead while the socket sends, into a buffer the socket has given back: a buffer returns only in
 * its write's callback, once the kernel (or, over TLS, the encryption) has taken its bytes, so
 * nothing is overwritten while it is still being sent. While socket.write() says the socket is
 * full, filled buffers wait for 'drain': memory stays at MAX_BUFFERS buffers whatever the client's
 * pace.
 *
 * Settles when the socket has taken every byte and ended (or failed), and never before a pending
 * read has returned: the range is closed then, so an aborted transfer leaves no descriptor or read
 * behind. An abort destroys the socket, which fails the pump.
 */
export function pumpFile(range: FileRange, socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    new FilePump(range, socket, resolve, reject).start();
  });
}

class FilePump {
  readonly #free: Buffer[] = [];
  /** Buffers taken from the shared pool, which go back to it when this transfer no longer needs them. */
  readonly #pooled = new Set<Buffer>();
  /** Filled buffers waiting for the socket, in file order. */
  readonly #ready: { buffer: Buffer; bytes: number }[] = [];
  #buffers = 0;
  #position: number;
  #reading = false;
  #waitingForDrain = false;
  #ended = false;
  #failure: Error | undefined;
  #settled = false;

  constructor(
    private readonly range: FileRange,
    private readonly socket: Socket,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.#position = range.start;
  }

  start(): void {
    const { socket } = this;
    // The listeners stay until the socket is gone (the runner destroys it after every transfer):
    // an 'error' after the pump settled must still find one.
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new PrematureCloseError()));
    // A 'finish' before our end() is Node ending the socket for a client that sent its FIN
    // mid-file (allowHalfOpen is off): the download did not complete, and must not get a 226.
    socket.on('finish', () => (this.#ended ? this.#succeed() : this.#fail(new PrematureCloseError())));
    socket.on('drain', () => {
      this.#waitingForDrain = false;
      this.#step();
    });
    this.#step();
  }

  #step(): void {
    if (this.#failure !== undefined || this.#ended) return;
    const { socket } = this;
    while (!this.#waitingForDrain && this.#ready.length > 0) {
      const { buffer, bytes } = this.#ready.shift() as { buffer: Buffer; bytes: number };
      const chunk = bytes === buffer.length ? buffer : buffer.subarray(0, bytes);
      const room = socket.write(chunk, (error) => {
        if (error) {
          this.#release(buffer);
          this.#fail(error);
          return;
        }
        if (this.#ended || this.#failure !== undefined) {
          this.#release(buffer);
          return;
        }
        this.#free.push(buffer);
        this.#step();
      });
      if (!room) this.#waitingForDrain = true;
    }
    if (!this.#reading && this.#position < this.range.end) {
      this.#readNext();
      return;
    }
    if (!this.#reading && this.#ready.length === 0 && this.#position >= this.range.end) {
      // Every byte is with the socket: the file is not needed any more, the client gets its EOF
      // once the socket has sent them ('finish').
      this.#ended = true;
      this.range.close();
      this.#releaseIdle();
      socket.end();
    }
  }

  #readNext(): void {
    const buffer = this.#take();
    if (buffer === undefined) return;
    const length = Math.min(buffer.length, this.range.end - this.#position);
    this.#reading = true;
    read(this.range.fd, buffer, 0, length, this.#position, (error, bytes) => {
      this.#reading = false;
      if (this.#failure !== undefined) {
        this.#release(buffer);
        this.#settle();
        return;
      }
      if (error) {
        this.#release(buffer);
        // A disk error gets its own reply (451 for EIO), as a failing stream's would.
        this.#fail(toFtpError(error));
        return;
      }
      if (bytes === 0) {
        // The file shrank since it was opened: what it still has is sent, as a stream would.
        this.#position = this.range.end;
        this.#free.push(buffer);
      } else {
        this.#position += bytes;
        this.#ready.push({ buffer, bytes });
      }
      this.#step();
    });
  }

  /**
   * A buffer no write holds: a free one of this transfer's, else a new one while it has fewer than
   * MAX_BUFFERS: from the shared pool (for a range that needs more than a small one), or its own.
   */
  #take(): Buffer | undefined {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#buffers >= MAX_BUFFERS) return undefined;
    this.#buffers++;
    const left = this.range.end - this.#position;
    const pooled = left > OWN_BUFFER_BYTES ? sharedBuffers.take() : undefined;
    if (pooled === undefined) return Buffer.allocUnsafeSlow(Math.min(OWN_BUFFER_BYTES, left));
    this.#pooled.add(pooled);
    return pooled;
  }

  /** A buffer this transfer is done with: a pooled one goes back to the pool. */
  #release(buffer: Buffer): void {
    if (this.#pooled.delete(buffer)) sharedBuffers.give(buffer);
  }

  /** Every buffer no write or read holds. */
  #releaseIdle(): void {
    for (const buffer of this.#free.splice(0)) this.#release(buffer);
    for (const { buffer } of this.#ready.splice(0)) this.#release(buffer);
  }

  #succeed(): void {
    if (this.#settled || this.#failure !== undefined) return;
    this.#settled = true;
    this.resolve();
  }

  #fail(error: Error): void {
    if (this.#settled || this.#failure !== undefined) return;
    this.#failure = error;
    this.socket.destroy();
    // A read under way still writes into its buffer: the file closes once it has returned.
    if (!this.#reading) this.#settle();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.range.close();
    this.#releaseIdle();
    this.reject(this.#failure ?? new PrematureCloseError());
  }
}

/** The data connection closed before every byte was sent (reset, or destroyed by an abort). */
export class PrematureCloseError extends Error {
  constructor() {
    super('The data connection closed before the download ended.');
    this.name = 'PrematureCloseError';
  }
}
