/**
 * Time as a transfer's progress meter sees it. Transfers run on the system's; a test passes a
 * clock it moves by hand, so that rates and intervals are checked without waiting for them.
 */
export interface Clock {
  /** Milliseconds from a fixed point, never going back, as performance.now(). */
  now(): number;
  /** Calls `callback` every `ms` until the function returned is called. */
  every(ms: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  every(ms, callback) {
    const timer = setInterval(callback, ms);
    // A meter left running must not keep a process alive.
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  },
};
