import { replaceLineBreaks } from './sanitize.js';

/** A complete reply as the client sees it. */
export interface FtpReply {
  /** The three-digit reply code. */
  code: number;
  /** Text lines without the "123-" / "123 " prefix; middle lines as sent. */
  lines: string[];
  /** The lines joined with "\n". */
  text: string;
}

function assertCode(code: number): void {
  if (!Number.isInteger(code) || code < 100 || code > 699) {
    throw new RangeError(`Reply code must be an integer from 100 to 699, got ${code}`);
  }
}

/**
 * Formats a reply as CRLF-terminated wire text. CR, LF and NUL inside a line become spaces, and a
 * middle line starting with a digit gets a leading space (RFC 959 4.2), so no text, however
 * hostile, can end the reply early or forge another one.
 * @throws RangeError for a code outside 100-699.
 */
export function formatReply(code: number, text: string | readonly string[]): string {
  assertCode(code);
  // Most replies are one line: no array for them (this runs for every command).
  if (typeof text === 'string') return `${code} ${replaceLineBreaks(text, ' ')}\r\n`;
  const lines = text.map((line) => replaceLineBreaks(line, ' '));
  const first = lines[0] ?? '';
  if (lines.length <= 1) return `${code} ${first}\r\n`;
  let out = `${code}-${first}\r\n`;
  for (let i = 1; i < lines.length - 1; i++) {
    const line = lines[i] ?? '';
    out += /^\d/.test(line) ? ` ${line}\r\n` : `${line}\r\n`;
  }
  out += `${code} ${lines[lines.length - 1] ?? ''}\r\n`;
  return out;
}

/** Builds an FtpReply from its parts (keeps `text` consistent with `lines`). */
export function makeReply(code: number, lines: readonly string[]): FtpReply {
  return { code, lines: [...lines], text: lines.join('\n') };
}
