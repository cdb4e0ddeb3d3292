import { SyntaxErrorInArgs } from '../../protocol/index.js';

/**
 * Longest pattern taken, in characters: NAME_MAX, the longest name a pattern could stand for on
 * most disks. Matching costs at most pattern length x name length steps per name.
 */
export const MAX_PATTERN_LENGTH = 255;

/** Whether a name matches; names are single path components. */
export type NameMatcher = (name: string) => boolean;

export interface NamePatternOptions {
  /** Let wildcards match a leading dot (`ls -a`); otherwise only a pattern's own leading "." does. */
  matchHidden: boolean;
}

interface CharSet {
  negated: boolean;
  /** Inclusive code point ranges; a single character is a range of one. */
  ranges: [number, number][];
}

type Token =
  { kind: 'star' } | { kind: 'any' } | { kind: 'set'; set: CharSet } | { kind: 'char'; cp: number };

/**
 * Compiles a shell pattern for one path component: `*` (any run), `?` (one character) and
 * `[...]` (a set, ranges and `!`/`^` negation), case-sensitive, as vsftpd and the shell take them for
 * `mget`. Anything else is literal, backslash included (vsftpd has no escapes either; a name with a
 * `*` in it is reached as itself, or with `[*]`). A `[` without its `]` is an ordinary character.
 * Returns undefined when `text` holds no wildcard at all: it is a plain name, not a pattern.
 */
export function namePattern(text: string, options: NamePatternOptions): NameMatcher | undefined {
  const chars = codePoints(text);
  const tokens = tokenize(chars);
  if (tokens.every((token) => token.kind === 'char')) return undefined;
  if (chars.length > MAX_PATTERN_LENGTH) {
    throw new SyntaxErrorInArgs(`Pattern too long (over ${MAX_PATTERN_LENGTH} characters).`);
  }
  const explicitDot = tokens[0]?.kind === 'char' && tokens[0].cp === DOT;
  return (name) => {
    const nameChars = codePoints(name);
    if (nameChars[0] === DOT && !explicitDot && !options.matchHidden) return false;
    return matchTokens(tokens, nameChars);
  };
}

const DOT = 0x2e;
const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const DASH = 0x2d;
const BANG = 0x21;
const CARET = 0x5e;

function codePoints(text: string): number[] {
  return Array.from(text, (char) => char.codePointAt(0) ?? 0);
}

function tokenize(chars: readonly number[]): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const cp = chars[i] ?? 0;
    if (cp === STAR) {
      // Consecutive stars match what one does.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (cp === QUESTION) {
      tokens.push({ kind: 'any' });
    } else if (cp === OPEN) {
      const parsed = parseSet(chars, i + 1);
      if (parsed === undefined) {
        tokens.push({ kind: 'char', cp });
      } else {
        tokens.push({ kind: 'set', set: parsed.set });
        i = parsed.end;
      }
    } else {
      tokens.push({ kind: 'char', cp });
    }
  }
  return tokens;
}

/** The set starting after a "[" at `start`, and the index of its "]"; undefined when unclosed. */
function parseSet(chars: readonly number[], start: number): { set: CharSet; end: number } | undefined {
  let i = start;
  const negated = chars[i] === BANG || chars[i] === CARET;
  if (negated) i++;
  const ranges: [number, number][] = [];
  // A "]" right after the opening (and its negation) is a member, not the end.
  let first = true;
  for (; i < chars.length; i++) {
    const cp = chars[i] ?? 0;
    if (cp === CLOSE && !first) return { set: { negated, ranges }, end: i };
    first = false;
    const high = chars[i + 2];
    if (chars[i + 1] === DASH && high !== undefined && high !== CLOSE) {
      ranges.push([cp, high]);
      i += 2;
    } else {
      ranges.push([cp, cp]);
    }
  }
  return undefined;
}

function matchesOne(token: Token, cp: number): boolean {
  switch (token.kind) {
    case 'char':
      return token.cp === cp;
    case 'any':
      return true;
    case 'set':
      return token.set.ranges.some(([low, high]) => cp >= low && cp <= high) !== token.set.negated;
    case 'star':
      return false;
  }
}

/**
 * Greedy matching that, on a mismatch, only ever retries from the last star: what an earlier star
 * swallowed never needs to change, so the work stays within pattern length x name length, where a
 * backtracking regular expression can take exponential time.
 */
function matchTokens(tokens: readonly Token[], name: readonly number[]): boolean {
  let t = 0;
  let n = 0;
  let starToken = -1;
  let starName = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token?.kind === 'star') {
      starToken = t++;
      starName = n;
    } else if (token !== undefined && matchesOne(token, name[n] ?? 0)) {
      t++;
      n++;
    } else if (starToken >= 0) {
      t = starToken + 1;
      n = ++starName;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}
