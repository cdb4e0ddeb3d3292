/** One `machine` (or the `default`) block of a .netrc file. */
export interface NetrcEntry {
  /** Undefined for the `default` block, which matches any host. */
  machine?: string;
  login?: string;
  password?: string;
  account?: string;
}

interface Token {
  text: string;
  /** Index just past the token in the source text. */
  end: number;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

/**
 * Reads the token starting at or after `from`: whitespace separates tokens, `#` at the start of a
 * token comments out the rest of the line, and a double-quoted token may hold spaces and the
 * escapes \" \\ \n \r \t (as curl reads them), so a password with a space can be written.
 */
function nextToken(text: string, from: number): Token | undefined {
  let i = from;
  for (;;) {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
    if (i >= text.length) return undefined;
    if (text.charAt(i) !== '#') break;
    while (i < text.length && text.charAt(i) !== '\n') i++;
  }
  if (text.charAt(i) === '"') {
    let value = '';
    i++;
    while (i < text.length && text.charAt(i) !== '"') {
      const ch = text.charAt(i);
      if (ch === '\\' && i + 1 < text.length) {
        const next = text.charAt(i + 1);
        value += ESCAPES[next] ?? next;
        i += 2;
      } else {
        value += ch;
        i++;
      }
    }
    return { text: value, end: Math.min(i + 1, text.length) };
  }
  const start = i;
  while (i < text.length && !/\s/.test(text.charAt(i))) i++;
  return { text: text.slice(start, i), end: i };
}

/** A macro body runs from the line after `macdef NAME` to the first empty line. */
function skipMacro(text: string, from: number): number {
  const lineEnd = text.indexOf('\n', from);
  if (lineEnd < 0) return text.length;
  const blank = /\n[ \t]*\r?\n/g;
  blank.lastIndex = lineEnd;
  const match = blank.exec(text);
  return match ? match.index + match[0].length : text.length;
}

/**
 * Parses .netrc text into its blocks, in file order. Tokens may share a line or spread over many;
 * unknown keywords are skipped, `macdef` bodies are skipped, and a value missing at the end of the
 * file is ignored. Never throws: a malformed file yields what could be read.
 */
export function parseNetrc(text: string): NetrcEntry[] {
  const entries: NetrcEntry[] = [];
  let current: NetrcEntry | undefined;
  let pos = 0;
  for (;;) {
    const token = nextToken(text, pos);
    if (token === undefined) break;
    pos = token.end;
    const keyword = token.text;
    if (keyword === 'default') {
      current = {};
      entries.push(current);
      continue;
    }
    if (keyword !== 'machine' && keyword !== 'login' && keyword !== 'password' && keyword !== 'account') {
      if (keyword === 'macdef') {
        const name = nextToken(text, pos);
        pos = skipMacro(text, name === undefined ? text.length : name.end);
      }
      continue;
    }
    const value = nextToken(text, pos);
    if (value === undefined) break;
    pos = value.end;
    if (keyword === 'machine') {
      current = { machine: value.text };
      entries.push(current);
    } else if (current !== undefined) {
      // A login or password before any machine line belongs to nothing and is dropped.
      current[keyword] = value.text;
    }
  }
  return entries;
}

/**
 * The block to use for `host` (case-insensitive), as ftp(1) and curl pick it: the first `machine`
 * block for that host in file order, else the `default` block. With `user`, only a block whose
 * login is that user (or that names no login) matches, so a file may hold several accounts for
 * one machine.
 */
export function findNetrcEntry(
  entries: readonly NetrcEntry[],
  host: string,
  user?: string,
): NetrcEntry | undefined {
  const wanted = host.toLowerCase();
  const fits = (entry: NetrcEntry): boolean =>
    user === undefined || entry.login === undefined || entry.login === user;
  return (
    entries.find((entry) => entry.machine?.toLowerCase() === wanted && fits(entry)) ??
    entries.find((entry) => entry.machine === undefined && fits(entry))
  );
}
