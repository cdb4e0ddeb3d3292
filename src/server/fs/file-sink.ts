import { close, closeSync, fsync, write, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/** Bytes of an upload written synchronously before the rest goes through the thread pool. */
export const SYNC_WRITE_BYTES = 256 * 1024;

export interface FileSinkOptions {
  /** Byte offset of the first write; undefined writes at the descriptor's position (O_APPEND). */
  start?: number | undefined;
  /** fsync before the descriptor is closed. */
  flush?: boolean;
  highWaterMark?: number;
}

/**
 * An upload into an open file descriptor, which it owns and closes. The first SYNC_WRITE_BYTES
 * are written with writeSync, and a file that small is closed synchronously too: it lands in the
 * same turn of the event loop as its last byte, where each hop through libuv's thread pool (a
 * write, then the close) costs about a hundred microseconds here, more than the file itself.
 * Past that the writes go through the thread pool, so a big upload to a slow disk never holds up
 * the other sessions for long.
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
    if (this.#written < SYNC_WRITE_BYTES) {
      try {
        let done = 0;
        while (done < chunk.length)
          done += writeSync(this.#fd, chunk, done, chunk.length - done, this.#at(done));
      } catch (err) {
        callback(err as Error);
        return;
      }
      this.#advance(chunk.length);
      callback();
      return;
    }
    this.#writeAsync(chunk, 0, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#flush) {
      callback();
      return;
    }
    fsync(this.#fd, (err) => {
      callback(err);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#written <= SYNC_WRITE_BYTES) {
      try {
        closeSync(this.#fd);
      } catch (err) {
        callback(error ?? (err as Error));
        return;
      }
      callback(error);
      return;
    }
    close(this.#fd, (err) => {
      callback(error ?? err);
    });
  }

  #writeAsync(chunk: Buffer, done: number, callback: (error?: Error | null) => void): void {
    write(this.#fd, chunk, done, chunk.length - done, this.#at(done), (err, n) => {
      if (err) {
        callback(err);
        return;
      }
      if (done + n < chunk.length) {
        this.#writeAsync(chunk, done + n, callback);
        return;
      }
      this.#advance(chunk.length);
      callback();
    });
  }

  #at(offset: number): number | null {
    return this.#position === null ? null : this.#position + offset;
  }

  #advance(bytes: number): void {
    this.#written += bytes;
    if (this.#position !== null) this.#position += bytes;
  }
}
