import { ConfigError } from '../config.js';
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './exit.js';
import { PromptCancelledError } from './password-prompt.js';
import { passwd } from './passwd.js';
import { serve } from './serve.js';

/** Runs ftpkitd; a failure is one line on stderr and an exit status, never a stack trace. */
export async function main(argv: string[]): Promise<void> {
  try {
    if (argv[0] === 'passwd') await passwd(argv.slice(1));
    else await serve(argv);
  } catch (err) {
    if (err instanceof PromptCancelledError) process.exit(130);
    const usage = isUsageError(err);
    const text = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ftpkitd: ${text}${usage ? '\n(see ftpkitd --help)' : ''}\n`);
    process.exit(usage ? EXIT_USAGE : EXIT_FAILURE);
  }
}

function isUsageError(err: unknown): boolean {
  if (err instanceof UsageError) return true;
  if (err instanceof ConfigError) return err.fromCommandLine;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** Whatever escapes (a bug): one line, not a stack trace. */
export function reportCrash(err: unknown): void {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.stderr.write(`ftpkitd: internal error: ${text}\n`);
  process.exit(EXIT_FAILURE);
}
