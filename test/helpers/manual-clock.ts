interface Timer {
  due: number;
  /** The period of a timer that repeats. */
  every: number | undefined;
  callback: () => void;
}

/**
 * A clock that moves only when a test says so, for code that takes one (the server's idle timeout,
 * the client's progress meter). advance() runs what falls due, in order, each at its own time.
 */
export class ManualClock {
  #now: number;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  after(ms: number, callback: () => void): () => void {
    return this.#add(ms, undefined, callback);
  }

  every(ms: number, callback: () => void): () => void {
    return this.#add(ms, ms, callback);
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const next = this.#timers.reduce<Timer | undefined>(
        (soonest, timer) => (timer.due <= until && (!soonest || timer.due < soonest.due) ? timer : soonest),
        undefined,
      );
      if (!next) break;
      this.#now = next.due;
      if (next.every === undefined) this.#timers.splice(this.#timers.indexOf(next), 1);
      else next.due += next.every;
      next.callback();
    }
    this.#now = until;
  }

  #add(ms: number, every: number | undefined, callback: () => void): () => void {
    const timer: Timer = { due: this.#now + ms, every, callback };
    this.#timers.push(timer);
    return () => {
      const at = this.#timers.indexOf(timer);
      if (at !== -1) this.#timers.splice(at, 1);
    };
  }
}
