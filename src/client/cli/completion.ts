import type { CompleterResult } from 'node:readline';

/** What one argument of a shell command names, for tab completion. */
export type CompletionKind = 'remote' | 'remote-dir' | 'local' | 'local-dir' | 'command' | 'none';

/** One name in a directory, as completion needs it. */
export interface NameEntry {
  name: string;
  dir: boolean;
  /** A symbolic link whose target is unknown: offered where a directory is wanted too. */
  link?: boolean;
}

/** Where completion gets its names; every listing may fail or be slow, completion copes. */
export interface CompletionSource {
  /** Command names and aliases. */
  commandNames(): readonly string[];
  /** What argument `index` (0-based) of `command` completes; undefined for an unknown command. */
  argumentKind(command: string, index: number): CompletionKind | undefined;
  /** The remote directory `dir` as typed ('' is the current one), relative to the remote cwd. */
  listRemote(dir: string): Promise<readonly NameEntry[]>;
  /** The local directory `dir` as typed ('' is the shell's local directory). */
  listLocal(dir: string): Promise<readonly NameEntry[]>;
}

/** One word of a command line, quotes and backslashes removed. */
export interface Word {
  text: string;
  /** Where the word starts and ends in the line (raw, quotes included). */
  start: number;
  end: number;
  /** The quote the word began with, if any. */
  quote: '"' | "'" | undefined;
  /** The line ended inside a quote this word opened. */
  open: boolean;
}

const SPACE = /\s/;

/**
 * Splits a command line the way a Unix shell does, minus expansions: whitespace separates words,
 * "double" and 'single' quotes keep spaces, a backslash escapes the next character (inside double
 * quotes only `"` and `\`). Never throws; an unclosed quote is reported on its word.
 */
export function splitWords(line: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && SPACE.test(line.charAt(i))) i++;
    if (i >= line.length) break;
    const start = i;
    const firstChar = line.charAt(i);
    const firstQuote = firstChar === '"' || firstChar === "'" ? firstChar : undefined;
    let quote: string | undefined;
    let text = '';
    while (i < line.length) {
      const ch = line.charAt(i);
      const next = line.charAt(i + 1);
      if (quote !== undefined) {
        if (ch === quote) quote = undefined;
        else if (quote === '"' && ch === '\\' && (next === '"' || next === '\\')) {
          text += next;
          i++;
        } else text += ch;
        i++;
        continue;
      }
      if (SPACE.test(ch)) break;
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '\\') {
        text += next;
        i++;
      } else text += ch;
      i++;
    }
    words.push({ text, start, end: Math.min(i, line.length), quote: firstQuote, open: quote !== undefined });
  }
  return words;
}

/** A word as it must be typed to stand for `text`: spaces, quotes and backslashes escaped. */
export function escapeWord(text: string): string {
  return text.replace(/[\s"'\\]/g, '\\$&');
}

/**
 * Remembers directory listings for a few seconds: pressing Tab several times while typing one
 * name must not list the directory each time. A failed listing is not remembered.
 */
export class ListingCache<T> {
  readonly #entries = new Map<string, { at: number; value: Promise<T> }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit !== undefined && now - hit.at < this.#ttlMs) return hit.value;
    // Stale entries only go when something is looked up; a bound keeps that from mattering.
    if (this.#entries.size >= 64) this.#entries.clear();
    const entry = { at: now, value: load() };
    this.#entries.set(key, entry);
    entry.value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry.value;
  }

  clear(): void {
    this.#entries.clear();
  }
}

function lastWord(line: string): { partial: Word; index: number; words: Word[] } {
  const words = splitWords(line);
  const last = words.at(-1);
  if (last !== undefined && last.end === line.length)
    return { partial: last, index: words.length - 1, words };
  return {
    partial: { text: '', start: line.length, end: line.length, quote: undefined, open: false },
    index: words.length,
    words,
  };
}

/** How a candidate goes into the line: in the quote the user opened, else escaped. */
function encode(text: string, quote: Word['quote'], finished: boolean): string {
  if (quote === undefined) return escapeWord(text) + (finished ? ' ' : '');
  const body = quote === '"' ? text.replace(/["\\]/g, '\\$&') : text;
  return quote + body + (finished ? `${quote} ` : '');
}

function candidates(items: readonly { text: string; finished: boolean }[], partial: Word): string[] {
  // Only a single match is finished off (closing quote, space): with several, the user types on.
  const unique = items.length === 1;
  return items.map((item) => encode(item.text, partial.quote, unique && item.finished));
}

/**
 * Completes the word under the cursor (the end of `line`): the command name for the first word,
 * else a remote or local name, or a command name, as the command's argument calls for. A name is
 * completed against the listing of the directory typed so far (`sub/pa` lists `sub/`).
 */
export async function complete(line: string, source: CompletionSource): Promise<CompleterResult> {
  const { partial, index, words } = lastWord(line);
  const typed = line.slice(partial.start);
  const commandNames = (): string[] =>
    [...new Set(source.commandNames())].filter((name) => name.startsWith(partial.text)).sort();
  if (index === 0) {
    return [
      candidates(
        commandNames().map((text) => ({ text, finished: true })),
        partial,
      ),
      typed,
    ];
  }
  const kind = source.argumentKind(words[0]?.text ?? '', index - 1);
  if (kind === 'command') {
    return [
      candidates(
        commandNames().map((text) => ({ text, finished: true })),
        partial,
      ),
      typed,
    ];
  }
  if (kind === undefined || kind === 'none') return [[], typed];

  const slash = partial.text.lastIndexOf('/');
  const dir = partial.text.slice(0, slash + 1);
  const prefix = partial.text.slice(slash + 1);
  const remote = kind === 'remote' || kind === 'remote-dir';
  const dirsOnly = kind === 'remote-dir' || kind === 'local-dir';
  const entries = remote ? await source.listRemote(dir) : await source.listLocal(dir);
  const matches = entries
    .filter(
      (entry) =>
        entry.name.startsWith(prefix) &&
        // Hidden names only when asked for, as shells do.
        (prefix.startsWith('.') || !entry.name.startsWith('.')) &&
        (!dirsOnly || entry.dir || entry.link === true),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const items = matches.map((entry) => ({
    text: dir + entry.name + (entry.dir ? '/' : ''),
    finished: !entry.dir,
  }));
  return [candidates(items, partial), typed];
}

/**
 * readline's completer around `complete`: it never throws and never keeps the prompt waiting
 * longer than `timeoutMs` (readline stops reading keys until the callback comes), answering
 * "nothing to complete" instead.
 */
export function createCompleter(
  source: CompletionSource,
  timeoutMs: number,
): (line: string, callback: (error: null, result: CompleterResult) => void) => void {
  return (line, callback) => {
    let answered = false;
    const answer = (result: CompleterResult): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      callback(null, result);
    };
    const nothing: CompleterResult = [[], ''];
    const timer = setTimeout(() => {
      answer(nothing);
    }, timeoutMs);
    timer.unref();
    // complete() is async: a source that throws, even synchronously, ends up here as a rejection.
    complete(line, source).then(answer, () => {
      answer(nothing);
    });
  };
}
