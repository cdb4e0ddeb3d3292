/**
 * Time as a session's idle timeout sees it. The server runs on the system's; a test passes a clock
 * it moves by hand, so that idleness is checked without waiting for it.
 */
export interface Clock {
  /** Milliseconds, as Date.now(). */
  now(): number;
  /** Calls `callback` once, `ms` from now; the function returned cancels it. */
  after(ms: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    // A session's timer never keeps the process alive: closing the server is what ends sessions.
    timer.unref();
    return () => {
      clearTimeout(timer);
    };
  },
};
