import { close, closeSync, fsync, writev, writevSync } from 'node:fs';
import { Writable } from 'node:stream';
import { LocalProcessingError } from '../../protocol/index.js';
import { toFtpError } from './errors.js';

/** Bytes of an upload written synchronously before the rest goes through the thread pool. */
export const SYNC_WRITE_BYTES = 256 * 1024;

/** A write that takes nothing would otherwise be retried forever. */
const noProgress = (): LocalProcessingError => new LocalProcessingError('The file took no bytes.');

export interface FileSinkOptions {
  /** Byte offset of the first write; undefined writes at the descriptor's position (O_APPEND). */
  start?: number | undefined;
  /** fsync before the descriptor is closed. */
  flush?: boolean;
  highWaterMark?: number;
}

/**
 * An upload into an open file descriptor, which it owns and closes. It fails with the FtpError
 * that says what went wrong with the file (452 for a full disk), so the session tells the client
 * that rather than blame the connection.
 *
 * The first SYNC_WRITE_BYTES are written synchronously, and a file that small is closed
 * synchronously too: it lands in the same turn of the event loop as its last byte, where each hop
 * through libuv's thread pool (a write, then the close) costs about a hundred microseconds here,
 * more than the file itself. Past that the writes go through the thread pool, so a big upload to
 * a slow disk never holds up the other sessions for long; the chunks that arrive while one write
 * is in flight go out together in the next writev, as fs.WriteStream does.
 */
export class FileSink extends Writable {
  readonly #fd: number;
  readonly #flush: boolean;
  #position: number | null;
  #written = 0;

  constructor(fd: number, options: FileSinkOptions = {}) {
    super({ highWaterMark: options.highWaterMark, decodeStrings: true });
    this.#fd = fd;
    this.#flush = options.flush ?? false;
    this.#position = options.start ?? null;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#written;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#writeAll([chunk], callback);
  }

  /** Chunks that queued up while a write was in flight go out in one writev. */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this.#writeAll(
      chunks.map(({ chunk }) => chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#flush) {
      callback();
      return;
    }
    fsync(this.#fd, (err) => {
      callback(err && toFtpError(err));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#written <= SYNC_WRITE_BYTES) {
      try {
        closeSync(this.#fd);
      } catch (err) {
        callback(error ?? toFtpError(err));
        return;
      }
      callback(error);
      return;
    }
    close(this.#fd, (err) => {
      callback(error ?? (err && toFtpError(err)));
    });
  }

  #writeAll(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.#written >= SYNC_WRITE_BYTES) {
      this.#writeAsync(buffers, callback);
      return;
    }
    try {
      let rest = buffers;
      while (rest.length > 0) {
        const written = writevSync(this.#fd, rest, this.#at());
        if (written === 0) throw noProgress();
        rest = this.#advance(rest, written);
      }
    } catch (err) {
      callback(toFtpError(err));
      return;
    }
    callback();
  }

  #writeAsync(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    writev(this.#fd, buffers, this.#position, (err, n) => {
      if (err !== null || n === 0) {
        callback(err === null ? noProgress() : toFtpError(err));
        return;
      }
      const rest = this.#advance(buffers, n);
      if (rest.length > 0) this.#writeAsync(rest, callback);
      else callback();
    });
  }

  /** Where the next write goes; undefined writes at the descriptor's own position. */
  #at(): number | undefined {
    return this.#position ?? undefined;
  }

  /** Counts `bytes` as written and returns what is left of `buffers` (a short write, rarely). */
  #advance(buffers: Buffer[], bytes: number): Buffer[] {
    this.#written += bytes;
    if (this.#position !== null) this.#position += bytes;
    let skip = bytes;
    let index = 0;
    while (index < buffers.length && skip >= (buffers[index]?.length ?? 0)) {
      skip -= buffers[index]?.length ?? 0;
      index++;
    }
    const rest = buffers.slice(index);
    const first = rest[0];
    if (first !== undefined && skip > 0) rest[0] = first.subarray(skip);
    return rest;
  }
}
