import type { PassiveChannel } from './passive.js';

/**
 * Keeps one passive listener open ahead of a session's next PASV/EPSV. Opening a listener (a
 * socket, bind, listen and Node's server machinery) is most of what PASV costs; done while the
 * client is still busy with the end of its previous transfer, the next PASV is answered at once.
 * Every PASV still gets a listener of its own on a fresh random port, so a stray connection meant
 * for an earlier one can never be taken for the next transfer.
 */
export class PassivePrefetch {
  readonly #open: (ahead: boolean) => Promise<PassiveChannel>;
  #next: Promise<PassiveChannel | undefined> | undefined;
  /** The listener #next resolved to, once it has: take() can then answer at once. */
  #ready: PassiveChannel | undefined;

  /** `open(true)` opens a listener that refuses connections until it is claimed. */
  constructor(open: (ahead: boolean) => Promise<PassiveChannel>) {
    this.#open = open;
  }

  /** Opens the next listener in the background, unless one is open or opening already. */
  prepare(): void {
    if (this.#next !== undefined) return;
    // A listener that fails to open ahead is no loss: take() opens one and reports its error.
    const next = this.#open(true).then(
      (channel) => {
        if (this.#next === next) this.#ready = channel;
        return channel;
      },
      () => undefined,
    );
    this.#next = next;
  }

  /**
   * The listener opened ahead if it is still good (at once when it is open already), else a new
   * one.
   */
  take(): PassiveChannel | Promise<PassiveChannel> {
    const next = this.#next;
    const ready = this.#ready;
    this.#next = undefined;
    this.#ready = undefined;
    if (ready !== undefined || next === undefined) return this.#claimOrOpen(ready);
    return next.then((opened) => this.#claimOrOpen(opened));
  }

  /** `opened` if it can still be claimed (it may have timed out meanwhile), else a new listener. */
  #claimOrOpen(opened: PassiveChannel | undefined): PassiveChannel | Promise<PassiveChannel> {
    if (opened?.claim() === true) return opened;
    opened?.close();
    return this.#open(false);
  }

  /** Closes a listener opened ahead (the session went active, was reset or ended). */
  clear(): void {
    const next = this.#next;
    this.#next = undefined;
    this.#ready = undefined;
    void next?.then((channel) => channel?.close());
  }
}
