import { formatPermissions, type FileEntry } from '../../protocol/index.js';

export interface ListingFormatOptions {
  /** Show times in UTC rather than the local time zone (tests, and scripts that compare). */
  utc?: boolean;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "2024-03-04 09:26": sortable, the same width for every date, unlike ls's "Mar  4  2023". */
export function formatListingDate(date: Date | undefined, utc: boolean): string {
  if (date === undefined || Number.isNaN(date.getTime())) return '-'.padEnd(16);
  const parts = utc
    ? [
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
        date.getUTCHours(),
        date.getUTCMinutes(),
      ]
    : [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes()];
  const [year = 0, month = 0, day = 0, hours = 0, minutes = 0] = parts;
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)} ${pad2(hours)}:${pad2(minutes)}`;
}

/** Control characters in a server-supplied name become "?" (as `ls -q` shows them). */
export function printableName(name: string): string {
  return name.replace(/[\x00-\x1f\x7f]/g, '?');
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

function isSelfOrParent(entry: FileEntry): boolean {
  const fact = entry.facts?.type?.toLowerCase();
  return entry.name === '.' || entry.name === '..' || fact === 'cdir' || fact === 'pdir';
}

/**
 * `ls -l`-like lines, sorted by name: type and permissions ("?????????" when the server did not
 * say), size (right-aligned), modification time, name; a directory's name ends in "/", a link
 * shows its target. "." and ".." entries are left out.
 */
export function formatListing(entries: readonly FileEntry[], options: ListingFormatOptions = {}): string[] {
  const shown = entries
    .filter((entry) => !isSelfOrParent(entry))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sizes = shown.map((entry) =>
    String(Number.isFinite(entry.size) ? Math.max(0, Math.trunc(entry.size)) : 0),
  );
  const sizeWidth = Math.max(0, ...sizes.map((size) => size.length));
  return shown.map((entry, i) => {
    const mode = typeChar(entry) + (entry.mode === undefined ? '?????????' : formatPermissions(entry.mode));
    let name = printableName(entry.name);
    if (entry.type === 'dir') name += '/';
    if (entry.type === 'link' && entry.target !== undefined) name += ` -> ${printableName(entry.target)}`;
    const date = formatListingDate(entry.modified, options.utc === true);
    return `${mode} ${(sizes[i] ?? '0').padStart(sizeWidth)} ${date} ${name}`;
  });
}
