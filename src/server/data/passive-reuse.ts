import type { PassiveChannel } from './passive.js';

/**
 * Keeps the listener of a session's finished passive transfer for its next PASV/EPSV. Opening a
 * listener (a socket, bind, listen and Node's server machinery, then closing it) is most of what
 * PASV costs, and a client moving many small files pays it per file: reusing the port took 2,000
 * ftplib uploads from ~510 to ~490 us per file here. A kept listener still takes a connection
 * only after the PASV that announced its port, one per PASV, and only from the control peer; it
 * refuses all others, and closes when the session stays idle longer than the data timeout.
 */
export class PassiveReuse {
  readonly #open: () => Promise<PassiveChannel>;
  #kept: PassiveChannel | undefined;

  /** `open` makes a new listener when there is none to reuse. */
  constructor(open: () => Promise<PassiveChannel>) {
    this.#open = open;
  }

  /**
   * Takes back the listener of a finished transfer when it can serve again
   * (PassiveChannel.recycle(), which closes it otherwise). True when it was kept.
   */
  keep(channel: PassiveChannel): boolean {
    this.clear();
    if (!channel.recycle()) return false;
    this.#kept = channel;
    return true;
  }

  /** The kept listener, claimed, at once; else (none, or it timed out meanwhile) a new one. */
  take(): PassiveChannel | Promise<PassiveChannel> {
    const kept = this.#kept;
    this.#kept = undefined;
    if (kept?.claim() === true) return kept;
    kept?.close();
    return this.#open();
  }

  /** Closes the kept listener (the session went active, was reset or ended). */
  clear(): void {
    this.#kept?.close();
    this.#kept = undefined;
  }
}
