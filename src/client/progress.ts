import { Transform, type TransformCallback } from 'node:stream';
import { systemClock, type Clock } from './clock.js';
import type { TransferProgress } from './options.js';

/** Often enough for a progress bar, rarely enough to cost nothing on a fast transfer. */
const REPORT_INTERVAL_MS = 100;
/**
 * The longest a transfer goes without a report, data or not: a stalled or slow transfer still
 * shows its real count and a falling rate.
 */
const HEARTBEAT_MS = 250;

/**
 * Counts the bytes of one transfer and reports them to `onProgress`: at most every 100 ms while
 * data comes, at least every 250 ms until `finish()` or `stop()`, and once, with `done`, at the end.
 */
export class ProgressMeter {
  readonly #onProgress: (progress: TransferProgress) => void;
  readonly #offset: number;
  readonly #clock: Clock;
  readonly #started: number;
  readonly #stopHeartbeat: () => void;
  #total: number | undefined;
  #bytes = 0;
  /** Never, at first: the first bytes are reported at once, whatever the clock reads. */
  #lastReport = -Infinity;

  constructor(
    onProgress: (progress: TransferProgress) => void,
    offset: number,
    total?: number,
    clock: Clock = systemClock,
  ) {
    this.#onProgress = onProgress;
    this.#offset = offset;
    this.#total = total;
    this.#clock = clock;
    this.#started = clock.now();
    this.#stopHeartbeat = clock.every(HEARTBEAT_MS, () => {
      const now = clock.now();
      if (now - this.#lastReport >= HEARTBEAT_MS) {
        this.#lastReport = now;
        this.#report(now, false);
      }
    });
  }

  get total(): number | undefined {
    return this.#total;
  }

  set total(total: number | undefined) {
    this.#total = total;
  }

  /** A pass-through stream that counts what flows through it. */
  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void => {
        this.add(chunk.length);
        callback(null, chunk);
      },
    });
  }

  add(bytes: number): void {
    this.#bytes += bytes;
    const now = this.#clock.now();
    if (now - this.#lastReport >= REPORT_INTERVAL_MS) {
      this.#lastReport = now;
      this.#report(now, false);
    }
  }

  /** The last report, with `done`; the meter stops. */
  finish(): void {
    this.stop();
    this.#report(this.#clock.now(), true);
  }

  /** No more reports (a failed transfer); safe to call twice. */
  stop(): void {
    this.#stopHeartbeat();
  }

  #report(now: number, done: boolean): void {
    const seconds = (now - this.#started) / 1000;
    const progress: TransferProgress = {
      bytes: this.#bytes,
      offset: this.#offset,
      rate: seconds > 0 ? this.#bytes / seconds : 0,
      done,
    };
    if (this.#total !== undefined) progress.total = this.#total;
    this.#onProgress(progress);
  }
}

/** The size some servers put in a 150 reply: "Opening BINARY mode data connection for f (1234 bytes)". */
export function sizeFromPreliminary(text: string): number | undefined {
  // The last match: the file name comes first and may itself hold "(5 bytes)".
  const digits = [...text.matchAll(/\((\d+) bytes?\)/gi)].at(-1)?.[1];
  return digits === undefined ? undefined : Number(digits);
}
