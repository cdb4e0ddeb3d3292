import type { VerbName } from './args.js';

/**
 * The command line itself is wrong (unknown flag, bad URL, missing argument): the CLI prints the
 * message and the usage line, and exits with status 2, the convention for usage errors, before
 * touching the network.
 */
export class UsageError extends Error {
  /** The command whose usage line goes with the message; none: the general one. */
  readonly verb: VerbName | undefined;

  constructor(message: string, verb?: VerbName) {
    super(message);
    this.name = 'UsageError';
    this.verb = verb;
  }
}
