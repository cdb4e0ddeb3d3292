import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import {
  FileNameNotAllowedError,
  FileUnavailableError,
  SyntaxErrorInArgs,
  type FileEntry,
} from '../../protocol/index.js';
import { RootJail, UPLOAD_TEMP_PREFIX, ftpSegments, isInside } from './confine.js';
import { toFileEntry } from './entry.js';
import { FileRange } from './file-range.js';
import { FileSink } from './file-sink.js';
import { asFtp, errnoCode, toFtpError } from './errors.js';
import type { FileSystem, ReadSource, Upload, WriteMode } from './file-system.js';
import {
  chmod,
  lstat,
  lstatIfExists,
  link,
  mkdir,
  realpath,
  rename,
  rmdir,
  stat,
  statNow,
  unlink,
  unlinkNow,
  utimes,
} from './metadata.js';
import { listDirectory } from './list.js';
import { FileUpload } from './upload.js';

export interface LocalFileSystemOptions {
  /** fsync every upload before it is committed: survives power loss, costs throughput. Default false. */
  fsync?: boolean;
  /** How many entries list() stats at once. Default 32. */
  listConcurrency?: number;
}

const WRITE_CHUNK = 4 * 1024 * 1024;
/** Files up to this size are read in one call and sent from one buffer. */
const SMALL_FILE = 64 * 1024;

// The final component is already resolved when we open it: O_NOFOLLOW catches a link swapped in
// since. O_NONBLOCK keeps a FIFO from parking a thread-pool thread in open(); it is then refused
// because only regular files are transferred. Where the platform lacks them they are undefined,
// which the flag arithmetic treats as 0.
const NOFOLLOW = constants.O_NOFOLLOW;
const NONBLOCK = constants.O_NONBLOCK;
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND } = constants;

/**
 * The local disk under one root directory, which is "/" for the session. Every path is confined to
 * the root through realpath, links included (see confine.ts). Links inside the root behave like
 * what they lead to; deleting or renaming a link acts on the link. Links that lead outside the root
 * (or nowhere) cannot be followed, read or written through, and list() shows them as bare links of
 * size 0 without a target.
 *
 * Uploads in 'replace' and 'new' mode are written to a hidden temporary file in the target's
 * directory, and take the target's name only on commit(), in one rename (or link, for 'new'): until
 * then no other session sees a half-written file under that name, and an interrupted upload never
 * touches the previous content, nor a file another session put there meanwhile. 'append' and
 * 'offset' write in place, as their commands mean to.
 */
export class LocalFileSystem implements FileSystem {
  readonly #jail: RootJail;
  readonly #fsync: boolean;
  readonly #listConcurrency: number;

  /** `root` must be an absolute, existing, real (realpath'ed) directory; see create(). */
  constructor(root: string, options: LocalFileSystemOptions = {}) {
    this.#jail = new RootJail(root);
    this.#fsync = options.fsync ?? false;
    const concurrency = options.listConcurrency ?? 32;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError('listConcurrency must be a positive integer.');
    }
    this.#listConcurrency = concurrency;
  }

  /** Realpaths `root` and checks that it is a directory. */
  static async create(root: string, options: LocalFileSystemOptions = {}): Promise<LocalFileSystem> {
    const real = await realpath(path.resolve(root));
    if (!(await stat(real)).isDirectory()) throw new Error('The file system root is not a directory.');
    return new LocalFileSystem(real, options);
  }

  /** The real directory that is "/". */
  get root(): string {
    return this.#jail.root;
  }

  stat(ftpPath: string): Promise<FileEntry> {
    return asFtp(async () => {
      const real = this.#jail.real(ftpPath);
      return toFileEntry(baseName(ftpPath), await stat(real));
    });
  }

  list(ftpPath: string, accept?: (name: string) => boolean): Promise<FileEntry[]> {
    return asFtp(async () => {
      const real = this.#jail.real(ftpPath);
      if (!(await stat(real)).isDirectory()) throw new FileUnavailableError('Not a directory.');
      return listDirectory(this.#jail, real, this.#listConcurrency, accept);
    });
  }

  read(ftpPath: string, offset: number): Promise<ReadSource> {
    // Every call here is synchronous (see metadata.ts): no thread-pool round trip, and the promise
    // is settled on return, so a small download still runs within one turn of the event loop.
    try {
      return Promise.resolve(this.#openRead(ftpPath, offset));
    } catch (err) {
      return Promise.reject(toFtpError(err));
    }
  }

  write(ftpPath: string, mode: WriteMode): Promise<Upload> {
    // As read(): every call here is synchronous, so the upload is ready on return.
    try {
      return Promise.resolve(this.#openWrite(ftpPath, mode));
    } catch (err) {
      return Promise.reject(toFtpError(err));
    }
  }

  mkdir(ftpPath: string): Promise<void> {
    return asFtp(async () => {
      // MKD / asks for something that exists rather than for something forbidden.
      if (path.posix.resolve('/', ftpPath) === '/') throw new FileUnavailableError('File exists.');
      const { full } = this.#jail.entry(ftpPath, 'create');
      await mkdir(full);
    });
  }

  rmdir(ftpPath: string): Promise<void> {
    return asFtp(async () => {
      const { full } = this.#jail.entry(ftpPath, 'lookup');
      if (!(await lstat(full)).isDirectory()) throw new FileUnavailableError('Not a directory.');
      await rmdir(full);
    });
  }

  unlink(ftpPath: string): Promise<void> {
    return asFtp(async () => {
      const { full } = this.#jail.entry(ftpPath, 'lookup');
      if ((await lstat(full)).isDirectory()) throw new FileUnavailableError('Is a directory.');
      await unlink(full);
    });
  }

  rename(from: string, to: string): Promise<void> {
    return asFtp(async () => {
      const source = this.#jail.entry(from, 'lookup');
      const target = this.#jail.entry(to, 'create');
      const sourceStats = await lstat(source.full);
      if (source.full === target.full) return;
      if (sourceStats.isDirectory() && isInside(source.full, target.full)) {
        throw new FileUnavailableError('Cannot move a directory into itself.');
      }
      const targetStats = lstatIfExists(target.full);
      // Only files and links may be replaced; rename(2) would also let an empty directory be
      // replaced, which surprises FTP users. A case-only rename on a case-insensitive disk finds
      // the source itself here.
      if (targetStats !== undefined && !sameFile(sourceStats, targetStats)) {
        if (targetStats.isDirectory() || sourceStats.isDirectory()) {
          throw new FileUnavailableError('File exists.');
        }
      }
      await rename(source.full, target.full);
    });
  }

  setModified(ftpPath: string, time: Date): Promise<void> {
    return asFtp(async () => {
      if (Number.isNaN(time.getTime())) throw new SyntaxErrorInArgs('Invalid time.');
      const real = this.#jail.real(ftpPath);
      await utimes(real, (await stat(real)).atime, time);
    });
  }

  setMode(ftpPath: string, mode: number): Promise<void> {
    return asFtp(async () => {
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new SyntaxErrorInArgs('Invalid mode.');
      await chmod(this.#jail.real(ftpPath), mode);
    });
  }

  #openRead(ftpPath: string, offset: number): ReadSource {
    checkOffset(offset);
    const real = this.#jail.real(ftpPath);
    const { fd, stats } = openRegularFile(real, O_RDONLY | NONBLOCK | NOFOLLOW);
    // What is sent is the file as it was when opened; stopping at that size also spares the
    // extra read that would only find the end of the file.
    const { size } = stats;
    const length = Math.max(0, size - offset);
    if (length <= SMALL_FILE) {
      // The local fast path: read whole and sent in one write, with no stream at all.
      try {
        return { size, body: readFully(fd, length, offset) };
      } finally {
        closeSync(fd);
      }
    }
    // The range owns the descriptor from here; the transfer reads it into buffers of its own.
    return { size, body: new FileRange(fd, offset, size) };
  }

  #openWrite(ftpPath: string, mode: WriteMode): Upload {
    switch (mode.kind) {
      case 'replace':
        return this.#writeReplace(ftpPath);
      case 'append':
        return this.#writeInPlace(ftpPath, O_WRONLY | O_CREAT | O_APPEND, undefined);
      case 'offset':
        checkOffset(mode.offset);
        return this.#writeInPlace(ftpPath, O_WRONLY | O_CREAT, mode.offset);
      case 'new':
        return this.#writeNew(ftpPath);
    }
  }

  /**
   * Where an upload to `full` (see RootJail.entry) lands: the entry itself, or what a link inside
   * the root leads to.
   */
  #uploadTarget(full: string): { real: string; existing: Stats | undefined } {
    const own = lstatIfExists(full);
    if (own === undefined) return { real: full, existing: undefined };
    if (!own.isSymbolicLink()) return { real: full, existing: own };
    const target = this.#jail.linkTarget(full);
    if (target === undefined) throw new FileUnavailableError('Permission denied.');
    return { real: target, existing: statNow(target) };
  }

  #writeReplace(ftpPath: string): Upload {
    const { real, existing } = this.#uploadTarget(this.#jail.entry(ftpPath, 'create').full);
    if (existing !== undefined && !existing.isFile()) throw new FileUnavailableError('Not a regular file.');
    const { temp, fd } = openTemporary(real, existing);
    return new FileUpload(this.#writeStream(fd), {
      publish: () => rename(temp, real),
      discard: () => unlink(temp),
    });
  }

  #writeInPlace(ftpPath: string, flags: number, start: number | undefined): Upload {
    const { real, existing } = this.#uploadTarget(this.#jail.entry(ftpPath, 'create').full);
    if (existing !== undefined && !existing.isFile()) throw new FileUnavailableError('Not a regular file.');
    const { fd } = openRegularFile(real, flags | NOFOLLOW | NONBLOCK);
    return new FileUpload(this.#writeStream(fd, start));
  }

  /** The sink owns `fd` and closes it when it finishes or is destroyed. */
  #writeStream(fd: number, start?: number): FileSink {
    return new FileSink(fd, { highWaterMark: WRITE_CHUNK, flush: this.#fsync, start });
  }

  #writeNew(ftpPath: string): Upload {
    const { full } = this.#jail.entry(ftpPath, 'create');
    if (lstatIfExists(full) !== undefined) throw new FileNameNotAllowedError('File exists.');
    const { temp, fd } = openTemporary(full, undefined);
    return new FileUpload(this.#writeStream(fd), {
      // link(), not rename(): a name another session took meanwhile stays theirs.
      publish: async () => {
        try {
          await link(temp, full);
        } catch (err) {
          if (errnoCode(err) === 'EEXIST') throw new FileNameNotAllowedError('File exists.');
          throw err;
        }
        await unlink(temp).catch(() => undefined);
      },
      discard: () => unlink(temp),
    });
  }
}

/**
 * A new hidden file beside `target` that an upload writes and renames (or links) into place,
 * with the mode of the file it replaces, if any: replacing content must not change who may read
 * it. O_EXCL: the name is ours, not something planted there.
 */
function openTemporary(target: string, existing: Stats | undefined): { temp: string; fd: number } {
  const temp = path.join(path.dirname(target), UPLOAD_TEMP_PREFIX + randomBytes(12).toString('hex'));
  const fd = openSync(temp, O_WRONLY | O_CREAT | O_EXCL | NOFOLLOW, 0o666);
  try {
    if (existing !== undefined) fchmodSync(fd, existing.mode & 0o7777);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkNow(temp);
    } catch {
      // Best effort: a leftover temporary name is hidden from listings.
    }
    throw err;
  }
  return { temp, fd };
}

function baseName(ftpPath: string): string {
  return ftpSegments(ftpPath).at(-1) ?? '/';
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new SyntaxErrorInArgs('Invalid offset.');
}

/** Opens `real` and makes sure it is a regular file (not a directory, FIFO or device). */
function openRegularFile(real: string, flags: number): { fd: number; stats: Stats } {
  const fd = openSync(real, flags, 0o666);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new FileUnavailableError('Not a regular file.');
    return { fd, stats };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** `length` bytes from `position`, fewer only if the file shrank since it was measured. */
function readFully(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const n = readSync(fd, buffer, filled, length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
