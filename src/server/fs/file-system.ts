import type { Readable, Writable } from 'node:stream';
import type { FileEntry } from '../../protocol/index.js';

/**
 * Where an upload writes:
 * - 'replace': a new file, or a whole new content for an existing one. Lands atomically: an
 *   interrupted upload leaves the previous content untouched.
 * - 'append': at the end of the file (APPE); created if missing.
 * - 'offset': in place from `offset` (REST + STOR resume); bytes before it are kept.
 * - 'new': a file that must not exist yet (STOU); fails with FileNameNotAllowedError if it does.
 */
export type WriteMode =
  { kind: 'replace' } | { kind: 'append' } | { kind: 'offset'; offset: number } | { kind: 'new' };

/**
 * A download: the bytes from the requested offset, and the file's size when it was opened. A
 * small file may come whole as a Buffer, which is sent without stream machinery.
 */
export interface ReadSource {
  readonly body: Readable | Buffer;
  readonly size: number;
}

/** An upload in progress: write to `stream`, then `commit()` on success or `abort()` on failure. */
export interface Upload {
  readonly stream: Writable;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Storage behind a session. Paths are absolute, normalised FTP paths ("/", "/a/b"), already
 * resolved against the session's cwd by protocol/path. Implementations confine every path to
 * their root (symlinks included) and throw FtpError subclasses (FileUnavailableError for a missing
 * path or one outside the root) whose messages never reveal real filesystem paths.
 */
export interface FileSystem {
  /** Entry for one path; `name` is the base name ("/" for the root). Follows symlinks inside the root. */
  stat(path: string): Promise<FileEntry>;
  /**
   * Entries of a directory, without "." and "..". With `accept`, only the names it accepts: a store
   * can then skip looking at the others (a pattern in a big directory).
   */
  list(path: string, accept?: (name: string) => boolean): Promise<FileEntry[]>;
  /**
   * The file's bytes from `offset`; refuses anything but a regular file. May answer at once (a
   * local disk); failures always come as a rejection.
   */
  read(path: string, offset: number): ReadSource | Promise<ReadSource>;
  /** The file opened for an upload; may answer at once, as read() does. */
  write(path: string, mode: WriteMode): Upload | Promise<Upload>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  setModified(path: string, time: Date): Promise<void>;
  /** Permission bits (0o777 at most) for SITE CHMOD; stores without modes leave it out (502). */
  setMode?(path: string, mode: number): Promise<void>;
}
