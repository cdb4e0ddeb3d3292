import type { Dirent } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { filterNames, hasGlob, splitGlob } from '../patterns.js';

/**
 * A local file or directory is not what a command needs (a missing directory to write into, a
 * directory where a file goes): said in one line that names the path.
 */
export class LocalPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalPathError';
  }
}

/** A local path as typed: `~` is the home directory; a relative path starts at `base`. */
export function localPath(base: string, homedir: string, path: string): string {
  if (path === '~') return homedir;
  if (path.startsWith('~/')) return join(homedir, path.slice(2));
  return resolve(base, path);
}

export async function isLocalDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where a download named `name` goes, from what the user typed (`get -o LOCAL`, or the shell's
 * `get REMOTE LOCAL`), each local path made absolute by `resolveLocal`: nothing means `name` in
 * the current directory; an existing directory, or a path ending in "/" (made, with its parents,
 * as `mkdir -p` would, unless `make` is false), means `name` inside it; anything else names the
 * file, whose directory must exist.
 * @throws LocalPathError when the directory is missing or the target is a directory.
 */
export async function downloadTarget(
  given: string | undefined,
  name: string,
  resolveLocal: (path: string) => string,
  options: { make: boolean },
): Promise<string> {
  if (given === undefined) return checkedFile(join(resolveLocal('.'), name), name);
  const path = resolveLocal(given);
  if (given.endsWith('/')) {
    if (!(await isLocalDirectory(path))) {
      if (await exists(path))
        throw new LocalPathError(`cannot write into ${given}: ${path} is not a directory`);
      if (!options.make) return join(path, name);
      await mkdir(path, { recursive: true });
    }
    return checkedFile(join(path, name), name);
  }
  if (await isLocalDirectory(path)) return checkedFile(join(path, name), name);
  const dir = dirname(path);
  if (!(await isLocalDirectory(dir))) {
    throw new LocalPathError(`cannot write ${given}: no directory ${dir} (a LOCAL ending in "/" is made)`);
  }
  return path;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function checkedFile(path: string, name: string): Promise<string> {
  if (await isLocalDirectory(path)) {
    throw new LocalPathError(`${path} is a directory; give another name for ${name}`);
  }
  return path;
}

async function isLocalFile(entry: Dirent, dir: string): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await stat(join(dir, entry.name))).isFile();
  } catch {
    return false;
  }
}

/**
 * The local files a pattern names (a wildcard in its last part only), as absolute paths in name
 * order; a path without wildcards is taken as it is.
 * @throws LocalPathError for a wildcard before the last part or when nothing matches.
 */
export async function localMatches(base: string, homedir: string, pattern: string): Promise<string[]> {
  if (!hasGlob(pattern)) return [localPath(base, homedir, pattern)];
  const { dir, glob } = splitGlob(pattern);
  if (glob.includes('/')) {
    throw new LocalPathError(`${pattern}: wildcards are allowed in the last part of a path only`);
  }
  const from = localPath(base, homedir, dir === '' ? '.' : dir);
  const files: string[] = [];
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (await isLocalFile(entry, from)) files.push(entry.name);
  }
  const names = filterNames(files, glob, { dot: false }).sort();
  if (names.length === 0) throw new LocalPathError(`${pattern}: no local files match`);
  return names.map((name) => join(from, name));
}
