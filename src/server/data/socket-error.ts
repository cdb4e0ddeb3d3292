/**
 * Turns a socket error into the short reason a 425 reply carries. Users read these lines in their
 * client's log, so "connection refused" helps them more than "connect ECONNREFUSED 10.0.0.2:5000".
 */
const reasons: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'local address not available',
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EMFILE: 'too many open files',
};

export function describeSocketError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === undefined ? undefined : reasons[code];
    return reason ?? error.message;
  }
  return String(error);
}
