/**
 * Replaces CR, LF and NUL so that text placed on a control or listing line can never end that line
 * early and forge another one (a reply, a listing entry).
 */
export function replaceLineBreaks(text: string, replacement: string): string {
  return text.replace(/[\r\n\0]/g, replacement);
}

/** True when the text holds a character that would end or corrupt a protocol line. */
export function hasLineBreak(text: string): boolean {
  return /[\r\n\0]/.test(text);
}
