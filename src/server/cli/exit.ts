/** A wrong command line: the message and exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The server cannot start (or a subcommand cannot finish): one line and exit status 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
