// Shared objects: test() without the g flag and replace() with it never depend on lastIndex.
const LINE_BREAK = /[\r\n\0]/;
const LINE_BREAKS = /[\r\n\0]/g;

/**
 * Replaces CR, LF and NUL so that text placed on a control or listing line can never end that line
 * early and forge another one (a reply, a listing entry).
 */
export function replaceLineBreaks(text: string, replacement: string): string {
  // Every reply passes here and almost none holds a break: the test spares building a copy.
  return LINE_BREAK.test(text) ? text.replace(LINE_BREAKS, replacement) : text;
}

/** True when the text holds a character that would end or corrupt a protocol line. */
export function hasLineBreak(text: string): boolean {
  return LINE_BREAK.test(text);
}
