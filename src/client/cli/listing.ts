import { formatPermissions, type FileEntry } from '../../protocol/index.js';
import { printable } from './terminal-text.js';

export interface ListingFormatOptions {
  /** Show MLSx times in UTC rather than the local time zone (tests, and scripts that compare). */
  utc?: boolean;
  /** As `ls -F`: "/" after a directory, "@" after a link, "*" after an executable file. */
  classify?: boolean;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const DATE_WIDTH = 16;

/**
 * "2024-03-04 09:26": sortable, the same width for every date, unlike ls's "Mar  4  2023". An
 * exact time (MLSx, MDTM: UTC) is shown in local time; a LIST line's time is the server's own
 * clock, shown as the server gave it; a LIST line that gave only a year and a day shows the date
 * alone rather than a made-up 00:00.
 */
export function formatListingDate(
  entry: Pick<FileEntry, 'modified' | 'modifiedPrecision'>,
  utc: boolean,
): string {
  const date = entry.modified;
  if (date === undefined || Number.isNaN(date.getTime())) return '-'.padEnd(DATE_WIDTH);
  const precision = entry.modifiedPrecision ?? 'second';
  const asGiven = utc || precision !== 'second';
  const parts = asGiven
    ? [
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
        date.getUTCHours(),
        date.getUTCMinutes(),
      ]
    : [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes()];
  const [year = 0, month = 0, day = 0, hours = 0, minutes = 0] = parts;
  const dayText = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
  if (precision === 'day') return dayText.padEnd(DATE_WIDTH);
  return `${dayText} ${pad2(hours)}:${pad2(minutes)}`;
}

function typeChar(entry: FileEntry): string {
  switch (entry.type) {
    case 'dir':
      return 'd';
    case 'link':
      return 'l';
    case 'file':
      return '-';
    case 'other':
      return '?';
  }
}

/**
 * "rwxr-xr-x" from the mode; without one, what MLSx's perm fact says this user may do, shown as
 * the owner's bits with the rest unknown ("rw-??????"); "?????????" when the server said nothing.
 */
export function permissionText(entry: FileEntry): string {
  if (entry.mode !== undefined) return formatPermissions(entry.mode);
  const perm = entry.facts?.perm?.toLowerCase();
  if (perm === undefined) return '?????????';
  const has = (letters: string): boolean => letters.split('').some((letter) => perm.includes(letter));
  // RFC 3659 7.5.5: l list, c/m/p change a directory's contents, e enter it; r read, w/a write a file.
  const owner =
    entry.type === 'dir'
      ? `${has('l') ? 'r' : '-'}${has('cmp') ? 'w' : '-'}${has('e') ? 'x' : '-'}`
      : `${has('r') ? 'r' : '-'}${has('wa') ? 'w' : '-'}?`;
  return `${owner}??????`;
}

/** The `ls -F` mark after a name. */
function classifier(entry: FileEntry): string {
  if (entry.type === 'dir') return '/';
  if (entry.type === 'link') return '@';
  if (entry.type === 'file' && entry.mode !== undefined && (entry.mode & 0o111) !== 0) return '*';
  return '';
}

function isSelfOrParent(entry: FileEntry): boolean {
  const fact = entry.facts?.type?.toLowerCase();
  return entry.name === '.' || entry.name === '..' || fact === 'cdir' || fact === 'pdir';
}

/** The entries a listing shows, in the one order every listing uses: by name (code units). */
export function sortEntries(entries: readonly FileEntry[]): FileEntry[] {
  return entries
    .filter((entry) => !isSelfOrParent(entry))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A name as shown: printable, and with its `ls -F` mark when asked for. */
export function shownName(entry: FileEntry, options: ListingFormatOptions = {}): string {
  return printable(entry.name) + (options.classify === true ? classifier(entry) : '');
}

/**
 * `ls -l`-like lines, sorted by name: type and permissions, size (right-aligned), modification
 * time, name (no mark unless `classify`, as `ls -l`), and a link's target. "." and ".." are left
 * out; control characters in names show as "?".
 */
export function formatListing(entries: readonly FileEntry[], options: ListingFormatOptions = {}): string[] {
  const shown = sortEntries(entries);
  const sizes = shown.map((entry) =>
    String(Number.isFinite(entry.size) ? Math.max(0, Math.trunc(entry.size)) : 0),
  );
  const sizeWidth = Math.max(0, ...sizes.map((size) => size.length));
  return shown.map((entry, i) => {
    const mode = typeChar(entry) + permissionText(entry);
    let name = shownName(entry, options);
    if (entry.type === 'link' && entry.target !== undefined) name += ` -> ${printable(entry.target)}`;
    const date = formatListingDate(entry, options.utc === true);
    return `${mode} ${(sizes[i] ?? '0').padStart(sizeWidth)} ${date} ${name}`;
  });
}
