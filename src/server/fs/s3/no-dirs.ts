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

  /**
   * @param maxAgeMs how long a listing is trusted: a directory another writer makes meanwhile goes
   *   unseen this long.
   * @param maxRanges directories remembered at most; past that all are forgotten at once.
   */
  constructor(
    readonly maxAgeMs: number,
    readonly maxRanges: number,
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
    if (this.#ranges.size >= this.maxRanges) this.#ranges.clear();
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
