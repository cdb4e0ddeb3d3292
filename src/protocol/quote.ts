import { replaceLineBreaks } from './sanitize.js';

/**
 * Quotes a path for a 257 reply (RFC 959 appendix II): wrapped in double quotes, each embedded
 * quote doubled. CR, LF and NUL become "?" so a directory name cannot break the reply line.
 */
export function quotePath(path: string): string {
  return `"${replaceLineBreaks(path, '?').replaceAll('"', '""')}"`;
}

/**
 * The path in a 257 reply's text (inverse of quotePath): the first quoted string, with doubled
 * quotes undone. Undefined when the text holds no complete quoted string.
 */
export function parseQuotedPath(text: string): string | undefined {
  const open = text.indexOf('"');
  if (open === -1) return undefined;
  let path = '';
  let i = open + 1;
  while (i < text.length) {
    const quote = text.indexOf('"', i);
    if (quote === -1) return undefined;
    path += text.slice(i, quote);
    if (text[quote + 1] !== '"') return path;
    path += '"';
    i = quote + 2;
  }
  return undefined;
}
