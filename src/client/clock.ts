/**
 * Time as progress reports and an aborted upload's grace see it (ClientOptions.clock). The client
 * runs on the system's; a test passes a clock it moves by hand, so that rates, intervals and the
 * grace are checked without waiting for them.
 */
export interface Clock {
  /** Milliseconds from a fixed point, never going back, as performance.now(). */
  now(): number;
  /** Calls `callback` once, `ms` from now, unless the function returned is called first. */
  after(ms: number, callback: () => void): () => void;
  /** Calls `callback` every `ms` until the function returned is called. */
  every(ms: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => {
      clearTimeout(timer);
    };
  },
  every(ms, callback) {
    const timer = setInterval(callback, ms);
    // A meter left running must not keep a process alive.
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  },
};
