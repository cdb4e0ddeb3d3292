import { read } from 'node:fs';
import type { Socket } from 'node:net';
import { toFtpError } from '../fs/errors.js';
import type { FileRange } from '../fs/file-range.js';
import { RangeSender } from './range-sender.js';

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

class FilePump extends RangeSender {
  readonly #free: Buffer[] = [];
  /** Buffers taken from the shared pool, which go back to it when this transfer no longer needs them. */
  readonly #pooled = new Set<Buffer>();
  /** Filled buffers waiting for the socket, in file order. */
  readonly #ready: { buffer: Buffer; bytes: number }[] = [];
  #buffers = 0;
  #position: number;
  #reading = false;
  #waitingForDrain = false;

  constructor(range: FileRange, socket: Socket, resolve: () => void, reject: (error: Error) => void) {
    super(range, socket, resolve, reject);
    this.#position = range.start;
  }

  start(): void {
    this.listen();
    this.socket.on('drain', () => {
      this.#waitingForDrain = false;
      this.#step();
    });
    this.#step();
  }

  #step(): void {
    if (this.failed || this.ended) return;
    const { socket } = this;
    while (!this.#waitingForDrain && this.#ready.length > 0) {
      const { buffer, bytes } = this.#ready.shift() as { buffer: Buffer; bytes: number };
      const chunk = bytes === buffer.length ? buffer : buffer.subarray(0, bytes);
      const room = socket.write(chunk, (error) => {
        if (error) {
          this.#release(buffer);
          this.fail(error);
          return;
        }
        if (this.ended || this.failed) {
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
      this.#releaseIdle();
      this.end();
    }
  }

  #readNext(): void {
    const buffer = this.#take();
    if (buffer === undefined) return;
    const length = Math.min(buffer.length, this.range.end - this.#position);
    this.#reading = true;
    read(this.range.fd, buffer, 0, length, this.#position, (error, bytes) => {
      this.#reading = false;
      if (this.failed) {
        this.#release(buffer);
        this.settle();
        return;
      }
      if (error) {
        this.#release(buffer);
        // A disk error gets its own reply (451 for EIO), as a failing stream's would.
        this.fail(toFtpError(error));
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

  /** A read under way still writes into its buffer: the file closes once it has returned. */
  protected override stopWork(): boolean {
    return this.#reading;
  }

  protected override giveBack(): void {
    this.#releaseIdle();
  }
}
