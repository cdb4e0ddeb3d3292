import type { Readable, Writable } from 'node:stream';
import type { FileEntry } from '../../protocol/index.js';
import type { FileRange } from './file-range.js';

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
 * A download: the bytes from the requested offset, and the file's size when it was opened.
 *
 * `body` is one of:
 * - a Readable of the bytes, which any store can give (a stream from object storage);
 * - a Buffer holding them all (a small file), sent without stream machinery;
 * - a FileRange: an open descriptor and the part of it to send, which the server reads by position
 *   into a few buffers of its own (a file on a local disk).
 *
 * Whoever holds the source after read() owns it: the server destroys the stream, or closes the
 * range, when the transfer ends or never starts.
 */
export interface ReadSource {
  readonly body: Readable | Buffer | FileRange;
  /** The whole file's size in bytes when it was opened (not the size from the offset on). */
  readonly size: number;
}

/** An upload in progress: write to `stream`, then `commit()` on success or `abort()` on failure. */
export interface Upload {
  readonly stream: Writable;
  /**
   * Makes the upload's bytes the file's content: in 'replace' and 'new' mode atomically, so that
   * no one sees a partial file under the name (for a store that cannot, as close to that as it can).
   */
  commit(): Promise<void>;
  /** Gives the upload up: in 'replace' and 'new' mode nothing of it appears, the old content stays. */
  abort(): Promise<void>;
}

/**
 * Storage behind a session. Every method returns a promise, and every failure is a rejection
 * with an FtpError subclass: the session sends its reply code and message as they are, so a
 * message never reveals a real filesystem path or a store's internals. Typical ones:
 * FileUnavailableError (550) for a missing path, one outside the root, or the wrong kind of entry;
 * FileNameNotAllowedError (553) for a name that may not be created; SyntaxErrorInArgs (501) for a
 * bad offset or mode; InsufficientStorageError (452) when the store is full.
 *
 * Paths are absolute, normalised FTP paths ("/", "/a/b"), already resolved against the session's
 * cwd by protocol/path (".." never climbs above "/"). Implementations confine every path to their
 * root, links included: nothing outside the root is read, written, listed or revealed.
 */
export interface FileSystem {
  /** Entry for one path; `name` is the base name ("/" for the root). Follows links inside the root. */
  stat(path: string): Promise<FileEntry>;
  /**
   * Entries of a directory, without "." and "..". With `accept`, only the names it accepts: a store
   * can then skip looking at the others (a pattern in a big directory).
   */
  list(path: string, accept?: (name: string) => boolean): Promise<FileEntry[]>;
  /**
   * The same entries as they arrive, for a store whose directories may be too big to hold at once
   * (an object store's prefix of 100,000 keys): LIST, MLSD and NLST then send them in the store's
   * order without sorting. Callers check first that `path` is a directory. Stores that hold a
   * directory whole leave it out, and list() is used.
   */
  entries?(path: string, accept?: (name: string) => boolean): AsyncIterable<FileEntry>;
  /**
   * The file's bytes from `offset` (REST) to its end as it was when opened; an offset at or past
   * the end gives no bytes, not an error. Refuses anything but a regular file (550); a negative or
   * non-integer offset is a 501.
   */
  read(path: string, offset: number): Promise<ReadSource>;
  /**
   * The file opened for an upload in `mode` (see WriteMode for what each guarantees). Resolves
   * once the target is known to be writable: a refusal comes before the client sends any byte.
   */
  write(path: string, mode: WriteMode): Promise<Upload>;
  /** Creates one directory; its parent must exist. */
  mkdir(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /** Removes a file (or a link, not what it leads to); never a directory. */
  unlink(path: string): Promise<void>;
  /** Moves a file or directory; may replace a file, never a directory, nor move one into itself. */
  rename(from: string, to: string): Promise<void>;
  /** Sets the modification time (MFMT, MDTM with a time). */
  setModified(path: string, time: Date): Promise<void>;
  /** Permission bits (0o777 at most) for SITE CHMOD; stores without modes leave it out (502). */
  setMode?(path: string, mode: number): Promise<void>;
}
