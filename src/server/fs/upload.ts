import type { Writable } from 'node:stream';
import { LocalProcessingError } from '../../protocol/index.js';
import { toFtpError } from './errors.js';
import type { Upload } from './file-system.js';

/** Steps around the byte stream: what makes the data visible, and what cleans up after a failure. */
export interface UploadHooks {
  /** After the file is closed, on success (the rename of an atomic upload). */
  publish?: () => Promise<void>;
  /** After the file is closed, on abort or a failed commit (unlinking a temporary file). */
  discard?: () => Promise<void>;
}

type Outcome = { kind: 'commit' | 'abort'; done: Promise<void> };

/**
 * An upload into one open file. commit() and abort() each run once; calling either again returns
 * the first outcome, and abort() after commit() is a no-op, so the caller's error paths can be blunt.
 */
export class FileUpload implements Upload {
  readonly stream: Writable;
  readonly #hooks: UploadHooks;
  #outcome: Outcome | undefined;

  constructor(stream: Writable, hooks: UploadHooks = {}) {
    this.stream = stream;
    this.#hooks = hooks;
    // The error stays readable on stream.errored and reaches the caller's pipeline; this listener
    // only keeps a write failure that nobody is listening for from crashing the process.
    stream.on('error', () => undefined);
  }

  commit(): Promise<void> {
    if (this.#outcome === undefined) {
      this.#outcome = { kind: 'commit', done: this.#commit() };
    } else if (this.#outcome.kind === 'abort') {
      return Promise.reject(new LocalProcessingError('The upload was aborted.'));
    }
    return this.#outcome.done;
  }

  abort(): Promise<void> {
    if (this.#outcome === undefined) {
      this.#outcome = { kind: 'abort', done: this.#abort() };
    }
    return this.#outcome.done.catch(() => undefined);
  }

  async #commit(): Promise<void> {
    const { stream } = this;
    try {
      if (!stream.writableEnded && !stream.destroyed) stream.end();
      await whenClosed(stream);
      if (!stream.writableFinished) throw new LocalProcessingError('The upload did not complete.');
      await this.#hooks.publish?.();
    } catch (err) {
      await this.#discard();
      throw toFtpError(err);
    }
  }

  async #abort(): Promise<void> {
    this.stream.destroy();
    await whenClosed(this.stream).catch(() => undefined);
    await this.#discard();
  }

  // Cleanup is best effort: the caller is already handling a failure, and a leftover temporary file
  // is hidden from listings.
  async #discard(): Promise<void> {
    try {
      await this.#hooks.discard?.();
    } catch {
      // Nothing better to do; see above.
    }
  }
}

/**
 * Resolves once the file descriptor is closed (so the data is handed to the OS, or synced when the
 * stream flushes), rejecting with the stream's error if it failed.
 */
function whenClosed(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      const error = stream.errored;
      if (error) reject(error);
      else resolve();
    };
    if (stream.closed) settle();
    else stream.once('close', settle);
  });
}
