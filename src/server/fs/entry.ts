import type { Stats } from 'node:fs';
import type { EntryType, FileEntry } from '../../protocol/index.js';

// Listings never reveal host accounts or uids.
const OWNER = 'ftp';

function entryType(stats: Stats): EntryType {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'link';
  return 'other';
}

/** A listing entry from the stats of the thing itself (links already followed where allowed). */
export function toFileEntry(name: string, stats: Stats): FileEntry {
  const type = entryType(stats);
  return {
    name,
    type,
    size: type === 'file' || type === 'dir' ? stats.size : 0,
    modified: stats.mtime,
    mode: stats.mode & 0o7777,
    nlink: stats.nlink,
    owner: OWNER,
    group: OWNER,
  };
}

/**
 * A link that may not be followed (dangling, or leading outside the root): shown as a bare link so
 * the name is not a mystery, without its target or anything learnt from the target.
 */
export function opaqueLinkEntry(name: string, linkStats: Stats): FileEntry {
  return {
    name,
    type: 'link',
    size: 0,
    modified: linkStats.mtime,
    mode: 0o777,
    nlink: 1,
    owner: OWNER,
    group: OWNER,
  };
}
