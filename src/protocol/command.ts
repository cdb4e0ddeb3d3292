import { FtpError, SyntaxErrorInArgs } from './errors.js';
import { Reply } from './reply-codes.js';
import { hasLineBreak } from './sanitize.js';

export interface Command {
  /** Upper-case verb. */
  verb: string;
  /** Everything after the one space that follows the verb, byte-exact ('' when absent). */
  arg: string;
}

/** Letters only, so an unknown verb still reaches the dispatcher as "unknown", not as garbage. */
const VERB = /^[A-Za-z]{1,8}$/;

/**
 * Splits one decoded control line into verb and argument. The argument is kept exactly as sent
 * (spaces, quotes, leading dashes): file names may legitimately contain any of them.
 * @throws SyntaxErrorInArgs (501) when the line holds a NUL byte.
 * @throws FtpError 500 for an empty line or a verb that is not 1-8 ASCII letters.
 */
export function parseCommandLine(line: string): Command {
  if (line.includes('\0')) throw new SyntaxErrorInArgs('NUL byte in command.');
  if (line === '') throw new FtpError(Reply.SyntaxError, 'Empty command.');
  const space = line.indexOf(' ');
  const verb = space === -1 ? line : line.slice(0, space);
  if (!VERB.test(verb)) throw new FtpError(Reply.SyntaxError, 'Syntax error, command unrecognized.');
  return { verb: verb.toUpperCase(), arg: space === -1 ? '' : line.slice(space + 1) };
}

/** Printable ASCII without space: the verb is the token before the first space on the wire. */
const WIRE_VERB = /^[!-~]+$/;

/**
 * Builds the wire form "VERB arg\r\n" ("VERB\r\n" when arg is undefined or empty).
 * @throws TypeError when the verb is not printable ASCII without spaces, or when the verb or the
 *   argument holds CR, LF or NUL: such text would end the command early and let the rest run as a
 *   second command. A TypeError, not an FtpError, because no reply was involved: the caller
 *   passed text that can never be sent.
 */
export function formatCommand(verb: string, arg?: string): string {
  if (!WIRE_VERB.test(verb)) throw new TypeError('FTP verb must be printable ASCII without spaces.');
  if (arg === undefined || arg === '') return `${verb}\r\n`;
  if (hasLineBreak(arg)) throw new TypeError('FTP command argument must not contain CR, LF or NUL.');
  return `${verb} ${arg}\r\n`;
}
