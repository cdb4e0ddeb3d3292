/**
 * At most `limit` tasks at once; the others wait their turn, first come first served. Password
 * hashes go through one of these so that a burst of logins holds a bounded amount of scrypt
 * memory and leaves the libuv thread pool (4 threads) free for file I/O.
 */
export class HashSlots {
  #limit: number;
  #running = 0;
  #started = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = checkLimit(limit);
  }

  /** Tasks allowed at once. A higher limit lets waiting tasks start at once; a lower one lets running ones finish. */
  get limit(): number {
    return this.#limit;
  }

  set limit(limit: number) {
    this.#limit = checkLimit(limit);
    while (this.#running < this.#limit && this.#waiting.length > 0) {
      this.#running += 1;
      this.#waiting.shift()?.();
    }
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks started since the process began (the dropped ones never start). */
  get started(): number {
    return this.#started;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` in a free slot. Aborting `signal` while the task still waits takes it out of the
   * queue (the promise rejects with the signal's reason): a client that gave up, or was cut at the
   * login timeout, must not have its hash computed after it left. A task already running finishes.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.#running >= this.#limit) await this.#wait(signal);
    else this.#running += 1;
    this.#started += 1;
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(start);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(
          signal?.reason instanceof Error
            ? signal.reason
            : new Error('The task was dropped.', { cause: signal?.reason }),
        );
      };
      // The slot is counted by whoever hands it over (#release or the limit setter).
      const start = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiting.push(start);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #release(): void {
    // The slot passes straight to the next in line, so a newcomer cannot jump the queue; after a
    // lowered limit it is given back instead.
    const next = this.#running <= this.#limit ? this.#waiting.shift() : undefined;
    if (next === undefined) this.#running -= 1;
    else next();
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a whole number >= 1, got ${limit}`);
  return limit;
}
