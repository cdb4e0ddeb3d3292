import { isUtf8 } from 'node:buffer';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry } from '../../protocol/index.js';
import { UPLOAD_TEMP_PREFIX, type RootJail } from './confine.js';
import { opaqueLinkEntry, toFileEntry } from './entry.js';
import { errnoCode } from './errors.js';

/**
 * Reads a real directory into listing entries, sorted by name. Entries are stat'ed by a fixed number
 * of workers so a 100,000-entry directory neither queues 100,000 promises nor floods the thread pool.
 * Links inside the root are shown as what they lead to; other links as opaque links (see entry.ts).
 * Entries that vanish while we look are skipped, and so are names that are not valid UTF-8: no
 * command could name them (see Session), and shown with U+FFFD they would stand for another name.
 * Names `accept` refuses are dropped before anything is stat'ed.
 */
export async function listDirectory(
  jail: RootJail,
  dir: string,
  concurrency: number,
  accept: (name: string) => boolean = () => true,
): Promise<FileEntry[]> {
  const names: string[] = [];
  for (const raw of await readdir(dir, { encoding: 'buffer' })) {
    if (!isUtf8(raw)) continue;
    const name = raw.toString('utf8');
    if (!name.startsWith(UPLOAD_TEMP_PREFIX) && accept(name)) names.push(name);
  }

  const entries: (FileEntry | undefined)[] = new Array<FileEntry | undefined>(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < names.length; index = next++) {
      entries[index] = await describe(jail, dir, names[index] ?? '');
    }
  };
  const workers = Math.max(1, Math.min(concurrency, names.length));
  await Promise.all(Array.from({ length: workers }, worker));

  return entries
    .filter((entry): entry is FileEntry => entry !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function describe(jail: RootJail, dir: string, name: string): Promise<FileEntry | undefined> {
  const full = path.join(dir, name);
  try {
    const own = await lstat(full);
    if (!own.isSymbolicLink()) return toFileEntry(name, own);
    const target = jail.linkTarget(full);
    if (target === undefined) return opaqueLinkEntry(name, own);
    try {
      return toFileEntry(name, await stat(target));
    } catch {
      return opaqueLinkEntry(name, own);
    }
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}
