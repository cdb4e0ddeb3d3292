/** The user pressed Ctrl-C at a prompt (in raw mode the terminal sends it as a byte, not SIGINT). */
export class PromptInterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'PromptInterruptedError';
  }
}

/** The parts of a tty.ReadStream a prompt uses; a plain stream without setRawMode works too. */
export type PromptInput = NodeJS.ReadableStream & {
  isRaw?: boolean;
  setRawMode?: (mode: boolean) => unknown;
};

const ENTER = new Set(['\r', '\n', '\u0004']);
const ERASE = new Set(['\u007f', '\b']);

/**
 * Asks a question and reads one line without echoing it (a password). Backspace erases, Ctrl-U
 * clears the line, Enter or Ctrl-D accepts, Ctrl-C rejects with PromptInterruptedError. The
 * terminal's raw mode is restored and the input paused afterwards, so the process can exit.
 */
export function promptHidden(
  input: PromptInput,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string> {
  output.write(question);
  const wasRaw = input.isRaw === true;
  input.setRawMode?.(true);
  let chars: string[] = [];
  return new Promise<string>((resolve, reject) => {
    const finish = (error?: Error): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(chars.join(''));
    };
    const onEnd = (): void => {
      finish();
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ENTER.has(ch)) {
          finish();
          return;
        }
        if (ch === '\u0003') {
          finish(new PromptInterruptedError());
          return;
        }
        if (ERASE.has(ch)) chars = chars.slice(0, -1);
        else if (ch === '\u0015') chars = [];
        else if (ch >= ' ') chars.push(ch);
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
