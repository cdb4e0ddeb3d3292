import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Account, Authenticator } from './account.js';

export interface CredentialCacheOptions {
  /** How long a verified password is taken without a new hash check; 0 turns the cache off. */
  ttlMs: number;
  /** Accounts remembered at most; beyond it the least recently used one is dropped. */
  maxEntries?: number;
  clock?: Pick<Clock, 'now'>;
}

interface Entry {
  mac: Buffer;
  account: Account;
  expires: number;
}

/** A check under way, which logins with the same password wait for instead of starting their own. */
interface Flight {
  mac: Buffer;
  result: Promise<Account | undefined>;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Remembers, for a while, that a password was right, as Apache's mod_authn_socache does, so a
 * repeat login skips the scrypt check. Only an HMAC of (user, password) under a key made at
 * startup is kept: a heap dump shows neither the password nor anything to guess it offline
 * without the key. A wrong password never matches, so it gets the full check, and its failure
 * leaves the entry alone (a guesser cannot evict someone else's). One cache belongs to one loaded
 * users file: a reload wraps the new file in a new cache, so every remembered password goes with
 * the old one.
 *
 * Logins that come at once with the same account and password (200 clients of one account, before
 * the first check has ended) wait for the one check under way rather than queue 200 scrypt runs.
 * Only its success is shared: if it fails, each of them pays its own full check.
 */
export class CredentialCache implements Authenticator {
  readonly #inner: Authenticator;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #key = randomBytes(32);
  // A Map iterates in insertion order; a hit re-inserts, so the first key is the least recently used.
  readonly #entries = new Map<string, Entry>();
  readonly #flights = new Map<string, Flight>();

  constructor(inner: Authenticator, options: CredentialCacheOptions) {
    this.#inner = inner;
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#clock = options.clock ?? { now: () => Date.now() };
  }

  /** Accounts remembered now, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  async authenticate(user: string, password: string, signal?: AbortSignal): Promise<Account | undefined> {
    if (this.#ttlMs <= 0) return this.#inner.authenticate(user, password, signal);
    const mac = this.#mac(user, password);
    const entry = this.#entries.get(user);
    if (entry !== undefined) {
      if (entry.expires <= this.#clock.now()) {
        this.#entries.delete(user);
      } else if (timingSafeEqual(entry.mac, mac)) {
        this.#entries.delete(user);
        this.#entries.set(user, entry);
        return { ...entry.account };
      }
    }
    // Looked up before any await, so that logins arriving together find the first one's check.
    const under = this.#flights.get(user);
    if (under !== undefined && timingSafeEqual(under.mac, mac)) {
      // Its session may end and drop it from the queue: that is no answer for this one.
      const shared = await under.result.catch(() => undefined);
      if (shared !== undefined) return { ...shared };
    }
    const flight: Flight = { mac, result: this.#inner.authenticate(user, password, signal) };
    if (!this.#flights.has(user)) this.#flights.set(user, flight);
    let account: Account | undefined;
    try {
      account = await flight.result;
    } finally {
      if (this.#flights.get(user) === flight) this.#flights.delete(user);
    }
    if (account !== undefined && !account.anonymous) {
      this.#remember(user, { mac, account: { ...account }, expires: this.#clock.now() + this.#ttlMs });
    }
    return account;
  }

  #remember(user: string, entry: Entry): void {
    this.#entries.delete(user);
    this.#entries.set(user, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  #mac(user: string, password: string): Buffer {
    // The user's length first, so ("ab", "c") and ("a", "bc") cannot give the same input.
    const name = Buffer.from(user, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(name.length);
    return createHmac('sha256', this.#key).update(length).update(name).update(password, 'utf8').digest();
  }
}
