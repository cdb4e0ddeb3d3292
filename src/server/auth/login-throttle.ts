export interface LoginThrottleOptions {
  /** Delay after the first recent failure; it doubles with each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Most addresses remembered; the least recently failed is forgotten first. Default 10,000. */
  maxEntries?: number;
  /** A quiet address starts over after this long. Default 15 minutes. */
  forgetAfterMs?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

interface Record {
  failures: number;
  lastFailure: number;
}

/**
 * Failed-login delays shared by all sessions, per client address. Nothing runs in the background:
 * expiry is computed from timestamps when an address is seen again, and the map is capped, so an
 * attacker rotating addresses costs a bounded amount of memory.
 *
 * Addresses are used as given: normalise them first (IPv4-mapped IPv6 to IPv4) so one client has
 * one key.
 */
export class LoginThrottle {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxEntries: number;
  readonly #forgetAfterMs: number;
  readonly #now: () => number;
  // Insertion order is kept as "least recently failed first", so eviction takes the first key.
  readonly #records = new Map<string, Record>();

  constructor(options: LoginThrottleOptions) {
    this.#baseDelayMs = nonNegative('baseDelayMs', options.baseDelayMs);
    this.#maxDelayMs = nonNegative('maxDelayMs', options.maxDelayMs);
    this.#forgetAfterMs = nonNegative('forgetAfterMs', options.forgetAfterMs ?? 15 * 60_000);
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('LoginThrottle maxEntries must be a positive integer.');
    }
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** Records a failure from `ip` and returns how long to wait before answering it. */
  failureDelay(ip: string): number {
    const now = this.#now();
    this.#forgetStale(now);
    const previous = this.#records.get(ip);
    const failures = previous !== undefined && !this.#stale(previous, now) ? previous.failures + 1 : 1;
    this.#records.delete(ip);
    this.#records.set(ip, { failures, lastFailure: now });
    for (const oldest of this.#records.keys()) {
      if (this.#records.size <= this.#maxEntries) break;
      this.#records.delete(oldest);
    }
    // Capping the exponent first keeps 2 ** failures finite however long an attack runs.
    const delay = this.#baseDelayMs * 2 ** Math.min(failures - 1, 52);
    return Math.min(delay, this.#maxDelayMs);
  }

  /** A successful login clears the address's record. */
  success(ip: string): void {
    this.#records.delete(ip);
  }

  /** How many addresses are remembered (for metrics and tests). */
  get size(): number {
    return this.#records.size;
  }

  #stale(record: Record, now: number): boolean {
    return now - record.lastFailure >= this.#forgetAfterMs;
  }

  // The oldest records come first, so this stops at the first fresh one: amortised O(1).
  #forgetStale(now: number): void {
    for (const [ip, record] of this.#records) {
      if (!this.#stale(record, now)) break;
      this.#records.delete(ip);
    }
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`LoginThrottle ${name} must be a finite number >= 0.`);
  return value;
}
