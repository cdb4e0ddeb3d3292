import { replaceLineBreaks } from '../sanitize.js';
import type { EntryType, FileEntry } from './entry.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** Half an average Gregorian year, the "six months" of GNU ls. */
export const SIX_MONTHS_MS = 15_778_476_000;
/** A clock slightly ahead of ours still gets a time of day, as ls allows. */
const FORMAT_FUTURE_SLACK_MS = 60 * 60 * 1000;
/**
 * When parsing "Mmm dd HH:MM", the server's clock or time zone may be ahead of ours by up to a
 * day; only a date further in the future than that is moved to the previous year.
 */
export const PARSE_FUTURE_SLACK_MS = 24 * 60 * 60 * 1000;

/** Whether ls would show a time of day (rather than the year) for this date. */
export function isRecent(date: Date, now: Date): boolean {
  const t = date.getTime();
  const n = now.getTime();
  return t > n - SIX_MONTHS_MS && t <= n + FORMAT_FUTURE_SLACK_MS;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "Mar  4 09:26" when recent, "Mar  4  2023" otherwise; always UTC. */
export function formatUnixDate(date: Date, now: Date): string {
  const valid = Number.isNaN(date.getTime()) ? new Date(0) : date;
  const head = `${MONTHS[valid.getUTCMonth()] ?? 'Jan'} ${String(valid.getUTCDate()).padStart(2)}`;
  if (isRecent(valid, now)) return `${head} ${pad2(valid.getUTCHours())}:${pad2(valid.getUTCMinutes())}`;
  return `${head}  ${valid.getUTCFullYear()}`;
}

// File type bits of st_mode, used when an 'other' entry carries them.
const S_IFMT = 0o170000;
const TYPE_CHARS = new Map<number, string>([
  [0o140000, 's'],
  [0o120000, 'l'],
  [0o060000, 'b'],
  [0o040000, 'd'],
  [0o020000, 'c'],
  [0o010000, 'p'],
]);

function typeChar(entry: FileEntry): string {
  switch (entry.type) {
    case 'dir':
      return 'd';
    case 'link':
      return 'l';
    case 'file':
      return '-';
    case 'other':
      // Without type bits we still say '-': clients skip lines whose type letter they don't know.
      return TYPE_CHARS.get((entry.mode ?? 0) & S_IFMT) ?? '-';
  }
}

function defaultMode(type: EntryType): number {
  if (type === 'dir') return 0o755;
  if (type === 'link') return 0o777;
  return 0o644;
}

/** "rwxr-sr-t" style permission text, special bits included. */
export function formatPermissions(mode: number): string {
  const triad = (shift: number, special: number, on: string, off: string): string => {
    const bits = (mode >> shift) & 7;
    const exec = (bits & 1) !== 0;
    const x = (mode & special) !== 0 ? (exec ? on : off) : exec ? 'x' : '-';
    return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${x}`;
  };
  return triad(6, 0o4000, 's', 'S') + triad(3, 0o2000, 's', 'S') + triad(0, 0o1000, 't', 'T');
}

/** Owner and group are single tokens in ls output; anything that would split them becomes "_". */
const token = (text: string | undefined): string =>
  text === undefined || text === '' ? 'ftp' : text.replace(/[\s\0]/g, '_');

/**
 * One `ls -l` line (vsftpd layout), no line terminator. CR, LF and NUL in the name or link
 * target become "?" (as `ls -q` shows them), so a name can never start a second entry.
 */
export function formatUnixLine(entry: FileEntry, now: Date): string {
  const mode = entry.mode ?? defaultMode(entry.type);
  const nlink = String(entry.nlink ?? 1).padStart(4);
  const size = String(Number.isFinite(entry.size) && entry.size > 0 ? Math.trunc(entry.size) : 0).padStart(8);
  const date = formatUnixDate(entry.modified ?? new Date(0), now);
  let line = `${typeChar(entry)}${formatPermissions(mode)} ${nlink} ${token(entry.owner).padEnd(8)} ${token(entry.group).padEnd(8)} ${size} ${date} ${replaceLineBreaks(entry.name, '?')}`;
  if (entry.type === 'link' && entry.target !== undefined)
    line += ` -> ${replaceLineBreaks(entry.target, '?')}`;
  return line;
}

/**
 * type, permissions (an ACL/xattr marker "+", "@" or "." may follow), links, then owner and
 * optional group (lazy, so the size is the last number before the date), then size or
 * "major, minor", month, day, time or year, one space, and the name (leading spaces kept).
 */
const UNIX_LINE =
  /^([-bcdlps])([-rwxsStTl]{9})[+@.]?\s+(\d+)\s+(\S.*?)\s+(?:(\d+),\s*(\d+)|(\d+))\s+([A-Za-z]{3})\s+(\d{1,2})\s+(?:(\d{1,2}):(\d{2})|(\d{4}))\s(.+)$/;

function parsePermissions(text: string): number {
  let mode = 0;
  const specials = [0o4000, 0o2000, 0o1000];
  for (let triad = 0; triad < 3; triad++) {
    const shift = 6 - triad * 3;
    const [r, w, x] = text.slice(triad * 3, triad * 3 + 3);
    if (r === 'r') mode |= 4 << shift;
    if (w === 'w') mode |= 2 << shift;
    if (x === 'x' || x === 's' || x === 't') mode |= 1 << shift;
    // "l" (mandatory locking, old Solaris) is setgid without group execute.
    if (x === 's' || x === 'S' || x === 't' || x === 'T' || x === 'l') mode |= specials[triad] ?? 0;
  }
  return mode;
}

/** Date of "Mmm dd HH:MM" / "Mmm dd yyyy", UTC; undefined for an unknown month or day. */
function parseDate(
  monthText: string,
  dayText: string,
  time: { hours: number; minutes: number } | undefined,
  yearText: string | undefined,
  now: Date,
): Date | undefined {
  const month = MONTHS.findIndex((m) => m.toLowerCase() === monthText.toLowerCase());
  const day = Number(dayText);
  if (month === -1 || day < 1 || day > 31) return undefined;
  if (time === undefined) return new Date(Date.UTC(Number(yearText), month, day));
  if (time.hours > 23 || time.minutes > 59) return undefined;
  const year = now.getUTCFullYear();
  const date = new Date(Date.UTC(year, month, day, time.hours, time.minutes));
  if (date.getTime() > now.getTime() + PARSE_FUTURE_SLACK_MS) {
    return new Date(Date.UTC(year - 1, month, day, time.hours, time.minutes));
  }
  return date;
}

function entryType(char: string): EntryType {
  if (char === 'd') return 'dir';
  if (char === 'l') return 'link';
  if (char === '-') return 'file';
  return 'other';
}

/**
 * Parses one `ls -l` style line as real servers send it (vsftpd, proftpd, pure-ftpd, pyftpdlib,
 * ftp-srv): numeric or missing group, device entries ("maj, min", size 0), symlinks ("a -> b").
 * A time-of-day date is put in now's year, or the year before if that would be more than a day
 * in the future. All dates are taken as UTC. Undefined for "total N", blank or unknown lines.
 */
export function parseUnixLine(line: string, now: Date = new Date()): FileEntry | undefined {
  const match = UNIX_LINE.exec(line.replace(/\r$/, ''));
  if (match === null) return undefined;
  const [, typeText = '', permText = '', nlinkText = '', users = '', , , sizeText, month = '', day = ''] =
    match;
  const [hoursText, minutesText, yearText, nameText = ''] = match.slice(10);
  const time =
    hoursText !== undefined && minutesText !== undefined
      ? { hours: Number(hoursText), minutes: Number(minutesText) }
      : undefined;
  const modified = parseDate(month, day, time, yearText, now);
  if (modified === undefined) return undefined;

  const type = entryType(typeText);
  let name = nameText;
  let target: string | undefined;
  if (type === 'link') {
    const arrow = name.indexOf(' -> ');
    if (arrow !== -1) {
      target = name.slice(arrow + 4);
      name = name.slice(0, arrow);
    }
  }
  if (name === '') return undefined;

  const [owner = '', ...groupParts] = users.split(/\s+/);
  const entry: FileEntry = {
    name,
    type,
    size: sizeText === undefined ? 0 : Number(sizeText),
    modified,
    modifiedPrecision: time === undefined ? 'day' : 'minute',
    mode: parsePermissions(permText),
    nlink: Number(nlinkText),
    owner,
  };
  if (groupParts.length > 0) entry.group = groupParts.join(' ');
  if (target !== undefined) entry.target = target;
  return entry;
}
