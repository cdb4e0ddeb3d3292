/**
 * The command line itself is wrong (unknown flag, bad URL, missing argument): the CLI prints the
 * message and exits with status 2, the convention for usage errors, before touching the network.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
