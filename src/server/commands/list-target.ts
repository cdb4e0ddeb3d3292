import { type FileEntry, FileUnavailableError, baseName } from '../../protocol/index.js';
import { namePattern, type NameMatcher } from '../fs/name-pattern.js';
import type { CommandContext } from './context.js';

/**
 * Most names one pattern may list. Past it the command fails rather than list a part: `mget` would
 * quietly fetch some of the files.
 */
export const MAX_PATTERN_MATCHES = 10_000;

/** A LIST/NLST argument: the path text, and whether `-a` asked for hidden names. */
export interface ListArg {
  text: string;
  showHidden: boolean;
}

/**
 * What a listing command names: one path (a file, or a directory whose contents are listed), or
 * the names in `dir` that a shell pattern in the argument's last component matches.
 */
export type ListTarget =
  | { kind: 'path'; path: string }
  | {
      kind: 'pattern';
      /** The argument resolved, pattern included ("/dir/*.txt"): what logs show. */
      path: string;
      dir: string;
      /** The argument up to its last "/", as the client wrote it: NLST puts it before each name. */
      prefix: string;
      matches: NameMatcher;
    };

/**
 * LIST/NLST take `ls` options from many clients ("-la", "-a dir"). A leading "-word" is treated as
 * options, as vsftpd and pyftpdlib do; the rest stays byte-exact as the path.
 */
export function parseListArg(arg: string): ListArg {
  const options = /^(-[A-Za-z]+)(?: +|$)/.exec(arg);
  if (options?.[1] === undefined) return { text: arg, showHidden: false };
  return {
    text: arg.slice(options[0].length),
    showHidden: options[1].includes('a') || options[1].includes('A'),
  };
}

/**
 * Wildcards count in the last component only, as in vsftpd: earlier ones are directories, taken as
 * written. A name that exists as written wins over the pattern it also is (a file called "a*.txt").
 * The pattern's directory goes through the same resolution and confinement as any other path.
 */
export async function resolveListTarget(ctx: CommandContext, arg: ListArg): Promise<ListTarget> {
  const path = ctx.resolve(arg.text);
  const slash = arg.text.lastIndexOf('/');
  const matches = namePattern(arg.text.slice(slash + 1), { matchHidden: arg.showHidden });
  if (matches === undefined) return { kind: 'path', path };
  try {
    await ctx.files().stat(path);
    return { kind: 'path', path };
  } catch (err) {
    if (!(err instanceof FileUnavailableError)) throw err;
  }
  const prefix = arg.text.slice(0, slash + 1);
  return { kind: 'pattern', path, dir: ctx.resolve(prefix), prefix, matches };
}

/**
 * A pattern's name filter for the store, which refuses once more than MAX_PATTERN_MATCHES names
 * match: while the names are read, before any of the matches is looked at.
 */
function patternFilter(target: { matches: (name: string) => boolean }): (name: string) => boolean {
  let matched = 0;
  return (name) => {
    if (!target.matches(name)) return false;
    if (++matched > MAX_PATTERN_MATCHES) {
      throw new FileUnavailableError(`More than ${MAX_PATTERN_MATCHES} names match; narrow the pattern.`);
    }
    return true;
  };
}

const byName = (a: FileEntry, b: FileEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Entries a listing shows, sorted by name: a directory's contents (hidden ones when asked), the one
 * entry a file path names, or a pattern's matches (each as itself, directories too).
 */
export async function targetEntries(
  ctx: CommandContext,
  target: ListTarget,
  showHidden: boolean,
): Promise<FileEntry[]> {
  const fs = ctx.files();
  if (target.kind === 'pattern') return (await fs.list(target.dir, patternFilter(target))).sort(byName);
  const entry = await fs.stat(target.path);
  if (entry.type !== 'dir') return [{ ...entry, name: baseName(target.path) }];
  const entries = await fs.list(target.path);
  return (showHidden ? entries : entries.filter((e) => !e.name.startsWith('.'))).sort(byName);
}

/** Entries one by one, from the store as it delivers them, or from a list held whole. */
export type EntrySource = Iterable<FileEntry> | AsyncIterable<FileEntry>;

/**
 * What targetEntries() lists, streamed when the store can (FileSystem.entries): then in the
 * store's order, never held whole. The target is checked to be there before anything is sent.
 */
export async function targetEntrySource(
  ctx: CommandContext,
  target: ListTarget,
  showHidden: boolean,
): Promise<EntrySource> {
  const fs = ctx.files();
  if (fs.entries === undefined) return targetEntries(ctx, target, showHidden);
  if (target.kind === 'pattern') {
    if ((await fs.stat(target.dir)).type !== 'dir') throw new FileUnavailableError('Not a directory.');
    return fs.entries(target.dir, patternFilter(target));
  }
  const entry = await fs.stat(target.path);
  if (entry.type !== 'dir') return [{ ...entry, name: baseName(target.path) }];
  return fs.entries(target.path, showHidden ? undefined : (name) => !name.startsWith('.'));
}

/** `entries` mapped one by one, staying lazy when they stream. */
export async function* mapEntries<T>(entries: EntrySource, map: (entry: FileEntry) => T): AsyncGenerator<T> {
  for await (const entry of entries) yield map(entry);
}
