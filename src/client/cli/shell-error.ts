/** A shell command failed for a reason its message says in full: bad usage, nothing matched, not connected. */
export class ShellError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellError';
  }
}
