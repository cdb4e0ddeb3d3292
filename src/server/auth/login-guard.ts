export interface LoginGuardOptions {
  /** Delay before answering a login from an address with one recent failure; doubles with each more. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Told when a ban starts: the address, or the account name, and for how long. */
  onBan?: (scope: 'address' | 'account', key: string, ms: number) => void;
  /** Failures from one address that get it banned; 0 never bans. Default 5. */
  banAfter?: number;
  /**
   * Failures against one account, from anywhere, that get the account banned (a guesser spread
   * over many addresses); 0 never bans. Default 20.
   */
  banAccountAfter?: number;
  /** The first ban's length; each further ban of the same address or account doubles it. Default 10 minutes. */
  banMs?: number;
  /** The longest ban. Default 24 hours. */
  maxBanMs?: number;
  /** Failures this long ago no longer count (fail2ban's findtime). Default 15 minutes. */
  forgetAfterMs?: number;
  /** Most addresses (and accounts) remembered; the least recently failed is forgotten first. Default 10,000. */
  maxEntries?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

/** What a login attempt gets before its password is even looked at. */
export interface LoginVerdict {
  /** Wait this long before answering, whatever the answer: a right password too. */
  delayMs: number;
  /** Refuse it whatever the password, answered as a wrong one (an address or account is banned). */
  banned: 'address' | 'account' | undefined;
}

interface Record {
  failures: number;
  lastFailure: number;
  /** Bans so far: each one lasts twice the one before. */
  bans: number;
  bannedUntil: number;
}

/**
 * Brute-force defence shared by all sessions, as fail2ban and ProFTPD's mod_ban do it: failed
 * logins are counted per client address and per account; a login from an address with recent
 * failures is answered only after a delay that doubles with each one, right password or wrong
 * (so a guesser gains nothing by dropping slow answers); after `banAfter` failures the address,
 * and after `banAccountAfter` the account, is refused outright for a ban time that doubles with
 * each ban, answered exactly as a wrong password. A success erases nothing: it would let anyone
 * who can log in (anonymously, say) wipe an address's record.
 *
 * Nothing runs in the background: expiry is computed from timestamps when a key is seen again,
 * and each map is capped, so an attacker rotating addresses or names costs bounded memory.
 * Addresses are used as given: normalise them first (IPv4-mapped IPv6 to IPv4).
 */
export class LoginGuard {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #banAfter: number;
  readonly #banAccountAfter: number;
  readonly #banMs: number;
  readonly #maxBanMs: number;
  readonly #forgetAfterMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #onBan: (scope: 'address' | 'account', key: string, ms: number) => void;
  // Insertion order is "least recently failed first", so eviction takes the first key.
  readonly #addresses = new Map<string, Record>();
  readonly #accounts = new Map<string, Record>();

  constructor(options: LoginGuardOptions) {
    this.#baseDelayMs = nonNegative('baseDelayMs', options.baseDelayMs);
    this.#maxDelayMs = nonNegative('maxDelayMs', options.maxDelayMs);
    this.#banAfter = count('banAfter', options.banAfter ?? 5);
    this.#banAccountAfter = count('banAccountAfter', options.banAccountAfter ?? 20);
    this.#banMs = nonNegative('banMs', options.banMs ?? 10 * 60_000);
    this.#maxBanMs = nonNegative('maxBanMs', options.maxBanMs ?? 24 * 60 * 60_000);
    this.#forgetAfterMs = nonNegative('forgetAfterMs', options.forgetAfterMs ?? 15 * 60_000);
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('LoginGuard maxEntries must be a positive integer.');
    }
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
    this.#onBan = options.onBan ?? (() => undefined);
  }

  /** Before the password is checked: how long to wait, and whether the attempt is refused. */
  check(ip: string, user: string): LoginVerdict {
    const now = this.#now();
    const address = this.#fresh(this.#addresses, ip, now);
    const account = this.#fresh(this.#accounts, user, now);
    const banned =
      address !== undefined && address.bannedUntil > now
        ? 'address'
        : account !== undefined && account.bannedUntil > now
          ? 'account'
          : undefined;
    const failures = address?.failures ?? 0;
    // Capping the exponent first keeps 2 ** failures finite however long an attack runs.
    const delayMs =
      failures === 0 ? 0 : Math.min(this.#baseDelayMs * 2 ** Math.min(failures - 1, 52), this.#maxDelayMs);
    return { delayMs, banned };
  }

  /** Records a failed login (a refused one included); may start a ban. */
  failure(ip: string, user: string): void {
    const now = this.#now();
    this.#count('address', this.#addresses, ip, now, this.#banAfter);
    this.#count('account', this.#accounts, user, now, this.#banAccountAfter);
  }

  /** Whether the address is banned now (for logs and tests). */
  isBanned(ip: string): boolean {
    const record = this.#fresh(this.#addresses, ip, this.#now());
    return record !== undefined && record.bannedUntil > this.#now();
  }

  /** How many addresses are remembered (for metrics and tests). */
  get size(): number {
    return this.#addresses.size;
  }

  #count(
    scope: 'address' | 'account',
    records: Map<string, Record>,
    key: string,
    now: number,
    banAfter: number,
  ): void {
    const record = this.#fresh(records, key, now) ?? {
      failures: 0,
      lastFailure: now,
      bans: 0,
      bannedUntil: 0,
    };
    record.failures += 1;
    record.lastFailure = now;
    if (banAfter > 0 && record.failures >= banAfter && record.bannedUntil <= now) {
      const length = Math.min(this.#banMs * 2 ** Math.min(record.bans, 52), this.#maxBanMs);
      record.bannedUntil = now + length;
      record.bans += 1;
      // The ban is the answer to these failures; the next ban needs as many again.
      record.failures = 0;
      this.#onBan(scope, key, length);
    }
    records.delete(key);
    records.set(key, record);
    for (const oldest of records.keys()) {
      if (records.size <= this.#maxEntries) break;
      records.delete(oldest);
    }
  }

  /**
   * The record of a key, unless it has gone quiet: its failures forgotten and any ban over (a
   * banned key's ban count is kept while the ban lasts, so that the next ban is longer).
   */
  #fresh(records: Map<string, Record>, key: string, now: number): Record | undefined {
    const record = records.get(key);
    if (record === undefined) return undefined;
    const quietSince = Math.max(record.lastFailure, record.bannedUntil);
    if (now - quietSince < this.#forgetAfterMs) return record;
    records.delete(key);
    return undefined;
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`LoginGuard ${name} must be a non-negative number.`);
  return value;
}

function count(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`LoginGuard ${name} must be a whole number, 0 or more.`);
  return value;
}
