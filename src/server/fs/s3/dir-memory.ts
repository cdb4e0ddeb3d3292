/**
 * What a session remembers of the directories it looked at, so that a client storing many files
 * spares the engine a listing per file. Both memories trust a listing for `maxAgeMs` (a directory
 * another writer makes or removes meanwhile goes unseen that long) and forget everything at once
 * past `maxEntries` directories.
 */

/** Directories a recent listing showed to exist. */
export class SeenDirs {
  readonly #seen = new Map<string, number>();

  constructor(
    readonly maxAgeMs: number,
    readonly maxEntries: number,
  ) {}

  /** Whether `dirKey` was seen to exist within maxAgeMs of `now`. */
  has(dirKey: string, now: number): boolean {
    const at = this.#seen.get(dirKey);
    return at !== undefined && now - at < this.maxAgeMs;
  }

  add(dirKey: string, now: number): void {
    if (this.#seen.size >= this.maxEntries) this.#seen.clear();
    this.#seen.set(dirKey, now);
  }

  /** Forgets `dirKey` and every directory under it: this session moved or removed it. */
  forgetUnder(dirKey: string): void {
    for (const key of this.#seen.keys()) if (key.startsWith(dirKey)) this.#seen.delete(key);
  }
}

/**
 * Ranges of names that a recent listing showed to be no directories. Each range holds what one
 * ListObjectsV2 page with a delimiter showed of a directory: every name after `after` up to
 * `through` (to the end when the page was the last one) that is a subdirectory. A name inside a
 * fresh range and not among its subdirectories is taken to be no directory without asking the
 * engine again; that is what spares a client storing many files one listing per file.
 *
 * Keys compare as the engine orders them: by their UTF-8 bytes.
 */
export class NoDirRanges {
  readonly #ranges = new Map<string, Range>();

  constructor(
    readonly maxAgeMs: number,
    readonly maxEntries: number,
  ) {}

  /** Whether `dirKey`, directly under `parentKey`, is known to be no directory at `now`. */
  isNoDir(parentKey: string, dirKey: string, now: number): boolean {
    const range = this.#ranges.get(parentKey);
    if (range === undefined || now - range.at >= this.maxAgeMs) return false;
    const key = Buffer.from(dirKey);
    if (Buffer.compare(key, range.after) <= 0) return false;
    if (range.through !== undefined && Buffer.compare(key, range.through) > 0) return false;
    return !range.dirs.has(dirKey);
  }

  /**
   * Keeps what a page listed under `parentKey` with delimiter "/" from `after` (its StartAfter)
   * showed: its subdirectories (common prefixes) and its last object's key, in the engine's order.
   */
  record(
    parentKey: string,
    after: string,
    page: { dirs: readonly string[]; lastKey: string | undefined; truncated: boolean },
    now: number,
  ): void {
    // A page that more follow covers names up to its last entry, a key or a subdirectory.
    const ends = [page.lastKey, page.dirs.at(-1)].flatMap((k) => (k === undefined ? [] : [Buffer.from(k)]));
    const through = ends.sort((a, b) => Buffer.compare(a, b)).at(-1);
    if (page.truncated && through === undefined) return;
    if (this.#ranges.size >= this.maxEntries) this.#ranges.clear();
    this.#ranges.set(parentKey, {
      after: Buffer.from(after),
      through: page.truncated ? through : undefined,
      dirs: new Set(page.dirs),
      at: now,
    });
  }

  /** Forgets everything: this session made, moved or removed a directory. */
  clear(): void {
    this.#ranges.clear();
  }
}

interface Range {
  after: Buffer;
  through: Buffer | undefined;
  dirs: Set<string>;
  at: number;
}
