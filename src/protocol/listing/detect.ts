import { Limits } from '../limits.js';
import { parseDosLine } from './dos.js';
import type { FileEntry } from './entry.js';
import { looksLikeMlsx, parseMlsxLine } from './mlsx.js';
import { parseUnixLine } from './unix.js';

function parseLine(line: string, now: Date): FileEntry | undefined {
  if (looksLikeMlsx(line)) {
    try {
      return parseMlsxLine(line);
    } catch {
      return undefined;
    }
  }
  return parseUnixLine(line, now) ?? parseDosLine(line);
}

/**
 * Parses a whole listing (MLSD, LIST in Unix or DOS style; the format is picked per line, so a
 * mixed or odd listing still yields what can be read). Skipped: blank lines, "total N", ".",
 * "..", names holding "/" or NUL, MLSD's cdir/pdir entries, lines longer than Limits.maxListingLineBytes and lines no
 * parser understands.
 */
export function parseListing(text: string, now: Date = new Date()): FileEntry[] {
  const entries: FileEntry[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '' || /^total\s+\d+\s*$/i.test(line)) continue;
    if (Buffer.byteLength(line, 'utf8') > Limits.maxListingLineBytes) continue;
    const entry = parseLine(line, now);
    if (entry === undefined || entry.name === '.' || entry.name === '..') continue;
    // No directory entry has a "/" in its name: a listing that shows one is hostile or broken,
    // and a client must never take it for a path.
    if (entry.name.includes('/') || entry.name.includes('\0')) continue;
    const mlsxType = entry.facts?.type?.toLowerCase();
    if (mlsxType === 'cdir' || mlsxType === 'pdir') continue;
    entries.push(entry);
  }
  return entries;
}
