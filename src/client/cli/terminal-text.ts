import {
  ConnectionClosedError,
  ForeignDataPeerError,
  ForeignPasvHostError,
  FtpReplyError,
} from '../errors.js';

/**
 * Characters a server could use to drive the terminal rather than show text: C0 controls (ESC and
 * line breaks among them), DEL, C1 controls (CSI and OSC can start escape sequences on their own),
 * and the invisible marks that reorder text (bidirectional overrides and isolates), which can make
 * a name read as another.
 */
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a server (file names, reply texts, error messages that quote them) made safe for a
 * terminal or a log: every control character becomes "?", as `ls -q` shows them. With its
 * escape character gone, no escape sequence survives: what is left of one is plain text.
 */
export function printable(text: string): string {
  return text.replace(CONTROLS, '?');
}

/**
 * An error as the one line a user sees: what failed and where, never a stack trace. A local file
 * error names the path and what is wrong with it; everything is made printable, since messages
 * quote server replies and names.
 */
export function errorLine(error: unknown): string {
  // The library's message names its option; here the flag that sets it is what helps.
  if (error instanceof ForeignDataPeerError) {
    return printable(
      `refused a data connection from ${error.peer}, not the server's address ${error.serverAddress} ` +
        `(--foreign-data-host permits it); then: ${error.cause.message}`,
    );
  }
  if (error instanceof ForeignPasvHostError) {
    return printable(
      `the PASV reply names ${error.host}, not the server's address ${error.serverAddress}; ` +
        'refused (--foreign-data-host permits it)',
    );
  }
  if (error instanceof FtpReplyError || error instanceof ConnectionClosedError)
    return printable(error.message);
  if (error instanceof Error) {
    const { code, path, syscall } = error as NodeJS.ErrnoException;
    if (typeof code === 'string' && typeof path === 'string') {
      return printable(
        `${path}: ${systemErrorText(error.message, code)}${syscall === undefined ? '' : ` (${syscall})`}`,
      );
    }
    return printable(error.message);
  }
  return printable(String(error));
}

/** "ENOENT: no such file or directory, open '/x'" -> "no such file or directory". */
function systemErrorText(message: string, code: string): string {
  const match = new RegExp(`^${code}: ([^,]+)`).exec(message);
  return match?.[1] ?? code;
}
