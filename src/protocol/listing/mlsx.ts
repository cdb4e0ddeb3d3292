import { ProtocolViolationError } from '../errors.js';
import { replaceLineBreaks } from '../sanitize.js';
import { formatTimeVal, parseTimeVal } from '../time-val.js';
import type { EntryType, FileEntry } from './entry.js';

/**
 * Facts we can produce from a FileEntry, in the order they are written (RFC 3659 7.5; the unix.*
 * ones as ProFTPD names them; sizd, a directory's size, as pure-ftpd does). "unique" is left out:
 * FileEntry carries no inode to build it from.
 */
export const SUPPORTED_FACTS: readonly string[] = [
  'type',
  'size',
  'sizd',
  'modify',
  'perm',
  'unix.mode',
  'unix.owner',
  'unix.group',
];

/**
 * The facts a client of ours reads from a listing: those we write (parseMlsxLine reads each of
 * them, and the client shows perm), and the uid/gid some servers give instead of owner and group.
 * A client asks with OPTS MLST for those a server offers but does not send.
 */
export const READ_FACTS: readonly string[] = [...SUPPORTED_FACTS, 'unix.uid', 'unix.gid'];

export interface MlsxFormatOptions {
  /** Enabled facts (lower-case), as set by OPTS MLST. */
  facts: ReadonlySet<string>;
  /** The perm fact (e.g. "rw" or "elcmf"), computed by the caller from the user's rights. */
  perm?: string;
  /** Marks the listed directory itself or its parent in MLSD. */
  type?: 'cdir' | 'pdir';
  /** Overrides entry.name (MLST shows the full path). */
  name?: string;
}

function typeValue(entry: FileEntry, override: 'cdir' | 'pdir' | undefined): string {
  if (override !== undefined) return override;
  switch (entry.type) {
    case 'file':
      return 'file';
    case 'dir':
      return 'dir';
    case 'link':
      return 'OS.unix=symlink';
    case 'other':
      return 'OS.unix=special';
  }
}

const octets = (size: number): string => String(Math.max(0, Math.trunc(size) || 0));

/** A fact value may not hold ";" (it ends the fact) nor spaces or line breaks (they end the facts). */
const factValue = (text: string): string => text.replace(/[;\s\0]/g, '_');

/**
 * One MLSD line / MLST entry, without the line terminator or MLST's leading space:
 * "type=file;size=12;modify=20240101120000;perm=rw; name". Only enabled and supported facts are
 * written, always in SUPPORTED_FACTS order. CR, LF and NUL in the name become "?", so a name can
 * never start a second entry.
 */
export function formatMlsxLine(entry: FileEntry, options: MlsxFormatOptions): string {
  const values = new Map<string, string | undefined>([
    ['type', typeValue(entry, options.type)],
    // RFC 3659 gives size to files only; a directory's own size goes in pure-ftpd's sizd fact.
    ['size', entry.type === 'dir' ? undefined : octets(entry.size)],
    ['sizd', entry.type === 'dir' ? octets(entry.size) : undefined],
    [
      'modify',
      entry.modified && !Number.isNaN(entry.modified.getTime()) ? formatTimeVal(entry.modified) : undefined,
    ],
    ['perm', options.perm?.replace(/[^acdeflmprw]/g, '')],
    ['unix.mode', entry.mode === undefined ? undefined : (entry.mode & 0o7777).toString(8).padStart(4, '0')],
    ['unix.owner', entry.owner === undefined ? undefined : factValue(entry.owner)],
    ['unix.group', entry.group === undefined ? undefined : factValue(entry.group)],
  ]);
  let facts = '';
  for (const fact of SUPPORTED_FACTS) {
    const value = values.get(fact);
    if (value !== undefined && options.facts.has(fact)) facts += `${fact}=${value};`;
  }
  return `${facts} ${replaceLineBreaks(options.name ?? entry.name, '?')}`;
}

/** The FEAT line: every supported fact, "*" after those enabled. */
export function formatMlstFeature(enabled: ReadonlySet<string>): string {
  return `MLST ${SUPPORTED_FACTS.map((fact) => `${fact}${enabled.has(fact) ? '*' : ''};`).join('')}`;
}

/**
 * The facts a FEAT line offers ("type*;size*;unix.mode;": lower-case names) and whether each is
 * sent now (a "*" after it); RFC 3659 7.8.
 */
export function parseMlstFeature(spec: string): { fact: string; enabled: boolean }[] {
  return spec
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== '*')
    .map((part) => ({ fact: part.replace(/\*$/, '').toLowerCase(), enabled: part.endsWith('*') }));
}

/** Facts asked for by "OPTS MLST a;b;": the supported ones, lower-case; unknown ones are ignored. */
export function parseMlstOpts(arg: string): Set<string> {
  const wanted = new Set<string>();
  for (const part of arg.split(';')) {
    const fact = part.trim().toLowerCase();
    if (SUPPORTED_FACTS.includes(fact)) wanted.add(fact);
  }
  return wanted;
}

/** A facts block: "name=value;" repeated, the last ";" optional (some servers drop it). */
const FACTS = /^(?:[^=;\s]+=[^;\s]*;)*[^=;\s]+=[^;\s]*;?$/;

/** Whether the line looks like an MLSx entry (facts, one space, name), with MLST's leading space or not. */
export function looksLikeMlsx(line: string): boolean {
  const text = line.startsWith(' ') ? line.slice(1) : line;
  const space = text.indexOf(' ');
  return space > 0 && FACTS.test(text.slice(0, space));
}

function typeFromFact(value: string | undefined): { type: EntryType; target?: string } {
  if (value === undefined) return { type: 'other' };
  const lower = value.toLowerCase();
  if (lower === 'file') return { type: 'file' };
  if (lower === 'dir' || lower === 'cdir' || lower === 'pdir') return { type: 'dir' };
  // Some servers append the target: "OS.unix=slink:/real/path".
  const link = /^os\.unix=(?:symlink|slink)(?::(.*))?$/i.exec(value);
  if (link !== null)
    return link[1] === undefined || link[1] === '' ? { type: 'link' } : { type: 'link', target: link[1] };
  return { type: 'other' };
}

/**
 * Parses one MLSD line or MLST entry: facts go to entry.facts (lower-case keys, values as sent),
 * and type, size (or sizd), modify, unix.mode and unix.owner/group (or uid/gid) fill the entry.
 * The name is everything after the first space. A leading space (MLST) is skipped when facts
 * follow it; otherwise it means "no facts". Facts without "=" are skipped.
 * @throws ProtocolViolationError for a line with no space or with no fact at all before it.
 */
export function parseMlsxLine(line: string): FileEntry {
  let text = line.replace(/\r$/, '');
  if (looksLikeMlsx(text) && text.startsWith(' ')) text = text.slice(1);
  const space = text.indexOf(' ');
  if (space === -1 || space === text.length - 1) throw new ProtocolViolationError('MLSx line has no name.');
  const facts: Record<string, string> = {};
  let factCount = 0;
  for (const part of text.slice(0, space).split(';')) {
    const eq = part.indexOf('=');
    // "__proto__" as a key would replace the object's prototype instead of adding a fact.
    if (eq <= 0 || part.slice(0, eq).toLowerCase() === '__proto__') continue;
    facts[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1);
    factCount++;
  }
  if (space > 0 && factCount === 0) throw new ProtocolViolationError('MLSx line has no facts.');

  const { type, target } = typeFromFact(facts.type);
  const sizeText = facts.size ?? facts.sizd;
  const size = sizeText !== undefined && /^\d+$/.test(sizeText) ? Number(sizeText) : 0;
  const entry: FileEntry = { name: text.slice(space + 1), type, size, facts };
  if (target !== undefined) entry.target = target;
  const modified = facts.modify === undefined ? undefined : parseTimeVal(facts.modify);
  if (modified !== undefined) {
    entry.modified = modified;
    entry.modifiedPrecision = 'second';
  }
  // Octal, and pyftpdlib writes it the Python way: "0o755".
  const modeText = /^(?:0o)?([0-7]{1,7})$/i.exec(facts['unix.mode'] ?? '')?.[1];
  if (modeText !== undefined) entry.mode = parseInt(modeText, 8) & 0o7777;
  const owner = facts['unix.owner'] ?? facts['unix.uid'];
  if (owner !== undefined) entry.owner = owner;
  const group = facts['unix.group'] ?? facts['unix.gid'];
  if (group !== undefined) entry.group = group;
  return entry;
}
