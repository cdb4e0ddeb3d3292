/**
 * What the bench hands a client driver process (a job, one JSON line on stdin) and what the driver
 * prints back (a result, its last JSON line on stdout). Both sides validate: a driver is a separate
 * program, so its output is data to check, not a type to trust.
 */

export const CLIENT_NAMES = ['ftpkit', 'basic-ftp', 'curl'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

export type Mode = 'passive' | 'active';
export type Direction = 'download' | 'upload';

export interface FilePair {
  /** FTP path, relative to the login directory. */
  readonly remote: string;
  /** Local file: written by a download, read by an upload. */
  readonly local: string;
}

export interface DriverJob {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly mode: Mode;
  readonly direction: Direction;
  /**
   * Downloads go into a sink that counts and drops the bytes (curl: /dev/null) rather than to
   * `local`: the client's own cost without the local file system's.
   */
  readonly discard: boolean;
  /** Transferred one after another in one logged-in session. */
  readonly files: readonly FilePair[];
  /** Explicit FTPS with PROT P; the server's certificate is a throw-away one, not checked. */
  readonly tls: boolean;
}

export interface DriverResult {
  /** Wall seconds from the start of the first transfer to the end of the last (login and QUIT excluded). */
  readonly seconds: number;
  /** CPU seconds (user + system, every thread of the process) over the same span. */
  readonly cpuSeconds: number;
  /** The user-mode part of cpuSeconds; the rest is the kernel's. */
  readonly userSeconds: number;
  /** Wall seconds to connect and log in. */
  readonly loginSeconds: number;
  /** Bytes the discarding sinks received (0 when downloads go to files). */
  readonly bytes: number;
  /** Files that took longer than STALL_SECONDS each. */
  readonly stalls: number;
  /** The wall seconds those files took, all together. */
  readonly stalledSeconds: number;
}

/**
 * A 4 KiB file takes about a millisecond on loopback; one that takes this long waited for
 * something (typically a 1 s SYN retransmission on a recycled port), and is counted as a stall.
 */
export const STALL_SECONDS = 0.5;

function field(value: object, key: string): unknown {
  return Reflect.get(value, key);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isFilePair(value: unknown): value is FilePair {
  return (
    isObject(value) && typeof field(value, 'remote') === 'string' && typeof field(value, 'local') === 'string'
  );
}

export function parseJob(text: string): DriverJob {
  const value: unknown = JSON.parse(text);
  if (!isObject(value)) throw new Error('job: not an object');
  const host = field(value, 'host');
  const port = field(value, 'port');
  const user = field(value, 'user');
  const password = field(value, 'password');
  const mode = field(value, 'mode');
  const direction = field(value, 'direction');
  const discard = field(value, 'discard');
  const files = field(value, 'files');
  const tls = field(value, 'tls');
  if (typeof host !== 'string' || typeof port !== 'number') throw new Error('job: host and port');
  if (typeof user !== 'string' || typeof password !== 'string') throw new Error('job: user and password');
  if (mode !== 'passive' && mode !== 'active') throw new Error('job: mode');
  if (direction !== 'download' && direction !== 'upload') throw new Error('job: direction');
  if (typeof discard !== 'boolean') throw new Error('job: discard');
  if (typeof tls !== 'boolean') throw new Error('job: tls');
  if (!Array.isArray(files) || !files.every(isFilePair)) throw new Error('job: files');
  return { host, port, user, password, mode, direction, discard, files, tls };
}

/** The driver's result from its stdout (the last line that is one). */
export function parseResult(stdout: string): DriverResult {
  const line = stdout.trim().split('\n').pop() ?? '';
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`driver printed no result: ${stdout.slice(-500)}`);
  }
  if (!isObject(value)) throw new Error(`driver result is not an object: ${line}`);
  const seconds = field(value, 'seconds');
  const cpuSeconds = field(value, 'cpuSeconds');
  const userSeconds = field(value, 'userSeconds');
  const loginSeconds = field(value, 'loginSeconds');
  const bytes = field(value, 'bytes');
  const stalls = field(value, 'stalls');
  const stalledSeconds = field(value, 'stalledSeconds');
  if (
    typeof seconds !== 'number' ||
    typeof cpuSeconds !== 'number' ||
    typeof userSeconds !== 'number' ||
    typeof loginSeconds !== 'number' ||
    typeof bytes !== 'number' ||
    typeof stalls !== 'number' ||
    typeof stalledSeconds !== 'number'
  ) {
    throw new Error(`unreadable driver result: ${line}`);
  }
  return { seconds, cpuSeconds, userSeconds, loginSeconds, bytes, stalls, stalledSeconds };
}
