import type { ReadStream } from 'node:tty';

/** Ctrl-C or Ctrl-D at a password prompt. */
export class PromptCancelledError extends Error {
  override name = 'PromptCancelledError';
}

const ENTER = new Set(['\r', '\n']);
const ERASE = new Set(['\u007f', '\b']);
const INTERRUPT = '\u0003';
const END = '\u0004';
const ERASE_LINE = '\u0015';

/**
 * Asks for a password on a terminal without showing it: the terminal is put in raw mode, so it
 * neither echoes nor turns Ctrl-C into a signal while the prompt is open, and is put back after.
 */
export function promptHidden(
  input: ReadStream,
  output: NodeJS.WritableStream,
  prompt: string,
): Promise<string> {
  const wasRaw = input.isRaw;
  // Echo goes off before the prompt shows: whatever is typed (or pasted) after it stays hidden.
  input.setRawMode(true);
  output.write(prompt);
  input.setEncoding('utf8');
  input.resume();
  return new Promise<string>((resolve, reject) => {
    const typed: string[] = [];
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(typed.join(''));
    };
    const onData = (chunk: string): void => {
      // Code points, so an erase takes back a whole character whatever its UTF-16 length.
      for (const char of chunk) {
        if (ENTER.has(char)) {
          finish();
          return;
        }
        if (char === INTERRUPT || (char === END && typed.length === 0)) {
          finish(new PromptCancelledError('cancelled'));
          return;
        }
        if (ERASE.has(char)) typed.pop();
        else if (char === ERASE_LINE) typed.length = 0;
        else if (char >= ' ') typed.push(char);
      }
    };
    input.on('data', onData);
  });
}
