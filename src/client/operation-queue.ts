import { abortReason } from './abort.js';

/**
 * Runs whole operations one at a time, in the order they were asked for: an FTP session can
 * carry one exchange at a time (a transfer is TYPE, EPSV, RETR, data, 226), so two operations
 * started together must not interleave their commands. An operation whose signal fires while it
 * waits for its turn is dropped and rejects with the signal's reason; one that has started is
 * the operation's own to cancel.
 */
export class OperationQueue {
  /** Settles once every operation asked for so far has ended. */
  #tail: Promise<void> = Promise.resolve();

  run<T>(signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
    const before = this.#tail;
    let done: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (done = resolve));
    // The next operation waits for this one and, if this one is dropped, still for those before.
    this.#tail = before.then(() => ended);
    return this.#runAfter(before, signal, operation).finally(done);
  }

  async #runAfter<T>(
    before: Promise<void>,
    signal: AbortSignal | undefined,
    operation: () => Promise<T>,
  ): Promise<T> {
    signal?.throwIfAborted();
    if (signal !== undefined) await untilTurnOrAbort(before, signal);
    else await before;
    return operation();
  }
}

/** Resolves when `turn` does; rejects with the signal's reason if it fires first. */
function untilTurnOrAbort(turn: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    void turn.then(() => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) reject(abortReason(signal));
      else resolve();
    });
  });
}
