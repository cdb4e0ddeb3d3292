import { closeSync, createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Bytes `start` to `end` (exclusive) of an open file, for a download that reads them by position
 * into buffers of its own rather than through a stream (see transfer/file-pump.ts). It holds the
 * descriptor until close(): its holder calls that once done with it, or when giving it up, and only
 * when no read of it is pending (a descriptor closed under a pending read may be reused by another
 * file by the time the read runs).
 */
export class FileRange {
  #fd: number | undefined;

  /** Takes `fd` over: from here the range closes it. */
  constructor(
    fd: number,
    /** The first byte to send. */
    readonly start: number,
    /** One past the last byte to send. */
    readonly end: number,
  ) {
    this.#fd = fd;
  }

  /** The descriptor; throws once the range is closed or handed to a stream. */
  get fd(): number {
    if (this.#fd === undefined) throw new Error('The file range is closed.');
    return this.#fd;
  }

  /** Closes the descriptor; later calls do nothing. */
  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    closeSync(fd);
  }

  /**
   * The range as a stream (TYPE A goes through a stream transform). The stream owns the descriptor
   * from here and closes it when it ends or is destroyed; close() then does nothing.
   */
  toStream(highWaterMark: number): Readable {
    const fd = this.fd;
    this.#fd = undefined;
    return createReadStream('', { fd, start: this.start, end: this.end - 1, highWaterMark });
  }
}
