// The POSIX build: remote paths always use "/", and a backslash must stay an escape even on Windows.
import picomatch from 'picomatch/posix.js';

export interface GlobOptions {
  /** Let `*`, `?` and `**` match names that start with a dot. Default true (a mirror copies them too). */
  dot?: boolean;
  /** Match regardless of letter case. Default false. */
  nocase?: boolean;
}

/** Tests one '/'-separated relative path; `isDir` says whether it names a directory. */
export type PathMatcher = (path: string, isDir?: boolean) => boolean;

/** Whether the text holds glob syntax (`*`, `?`, `[...]`, `{a,b}`, extglobs) rather than a plain name. */
export function hasGlob(text: string): boolean {
  return picomatch.scan(text).isGlob;
}

/**
 * A matcher for one glob, with the rules rsync and lftp users expect:
 * - a pattern without "/" matches the last component, at any depth (`*.tmp`, `node_modules`);
 * - a pattern with "/" matches the whole relative path (`docs/*.md`); a leading "/" only anchors
 *   it at the top, which it already is;
 * - a trailing "/" matches directories only (`build/`).
 * @throws TypeError for an empty pattern.
 */
export function compileGlob(pattern: string, options: GlobOptions = {}): PathMatcher {
  let body = pattern;
  const dirOnly = body.length > 1 && body.endsWith('/');
  if (dirOnly) body = body.replace(/\/+$/, '');
  const anchored = body.startsWith('/');
  if (anchored) body = body.replace(/^\/+/, '');
  if (body === '') throw new TypeError(`Empty glob pattern: ${JSON.stringify(pattern)}`);
  const test = picomatch(body, { dot: options.dot ?? true, nocase: options.nocase ?? false });
  const wholePath = anchored || body.includes('/');
  return (path, isDir = false) => {
    if (dirOnly && !isDir) return false;
    return test(wholePath ? path : baseName(path));
  };
}

/** The names (plain, one component each) that a one-component glob takes, in their order: mget/mput. */
export function filterNames(names: Iterable<string>, pattern: string, options: GlobOptions = {}): string[] {
  const matches = compileGlob(pattern, options);
  const taken: string[] = [];
  for (const name of names) if (matches(name)) taken.push(name);
  return taken;
}

/**
 * Splits a path with wildcards into the directory to list and the glob for what is in it:
 * "dir/sub/*.txt" -> { dir: 'dir/sub', glob: '*.txt' }; "*.txt" -> { dir: '', glob: '*.txt' }.
 * A path without glob syntax comes back whole in `dir`, with an empty glob.
 */
export function splitGlob(path: string): { dir: string; glob: string } {
  const scan = picomatch.scan(path);
  if (!scan.isGlob) return { dir: path, glob: '' };
  return { dir: scan.prefix + scan.base, glob: scan.glob };
}

/** What a mirror takes: files by include and exclude globs, directories by exclude only. */
export interface PathFilter {
  /** A file is taken when it matches an include (or there are none) and no exclude. */
  takesFile(path: string): boolean;
  /** A directory is walked unless an exclude matches it, which prunes everything below. */
  entersDir(path: string): boolean;
  /**
   * Whether a walked directory is worth creating even with no file taken inside it: always without
   * includes (empty directories are copied), otherwise only when an include names it.
   */
  keepsEmptyDir(path: string): boolean;
}

export interface PathFilterOptions extends GlobOptions {
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
}

/** Compiles include and exclude globs once for a whole tree walk. */
export function createPathFilter(options: PathFilterOptions = {}): PathFilter {
  const include = (options.include ?? []).map((pattern) => compileGlob(pattern, options));
  const exclude = (options.exclude ?? []).map((pattern) => compileGlob(pattern, options));
  const excluded = (path: string, isDir: boolean): boolean => exclude.some((match) => match(path, isDir));
  return {
    takesFile: (path) =>
      (include.length === 0 || include.some((match) => match(path, false))) && !excluded(path, false),
    entersDir: (path) => !excluded(path, true),
    keepsEmptyDir: (path) => include.length === 0 || include.some((match) => match(path, true)),
  };
}

function baseName(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
