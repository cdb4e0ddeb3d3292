import path from 'node:path';
import { lstatNow, realpathNow } from './metadata.js';
import { FileNameNotAllowedError, FileUnavailableError } from '../../protocol/index.js';
import { errnoCode, toFtpError } from './errors.js';

/** Uploads in progress live under this prefix; such names are hidden and cannot be addressed. */
export const UPLOAD_TEMP_PREFIX = '.ftpkit-upload-';

/** True when `candidate` is `root` or lies below it (both absolute, normalised). */
export function isInside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return candidate.startsWith(prefix);
}

/**
 * Splits an FTP path into names. The session hands us normalised paths, but this is the last line
 * of defence before the disk, so ".." is clamped at "/" again and separators that the host would
 * read differently (Windows) are refused.
 */
export function ftpSegments(ftpPath: string): string[] {
  if (ftpPath.includes('\0')) throw new FileNameNotAllowedError('File name not allowed.');
  const segments = path.posix
    .resolve('/', ftpPath)
    .split('/')
    .filter((segment) => segment !== '');
  for (const segment of segments) {
    if (path.sep !== '/' && (segment.includes(path.sep) || path.isAbsolute(segment))) {
      throw new FileNameNotAllowedError('File name not allowed.');
    }
    if (segment.startsWith(UPLOAD_TEMP_PREFIX)) {
      throw new FileUnavailableError('No such file or directory.');
    }
  }
  return segments;
}

/** An entry addressed by its real parent directory and its own name, which is not followed. */
export interface EntryLocation {
  /** Real path of the containing directory, inside the root. */
  parent: string;
  name: string;
  /** parent + name: the entry itself (a symlink here is the link, not its target). */
  full: string;
}

/**
 * Maps FTP paths to real paths under one root directory. Every answer is a real path: each name
 * below the root is looked at, and where one is a link, where it leads is checked against the
 * root, so a symlink (or a chain of them) cannot lead outside.
 *
 * Limitation: the check and the later system call are two steps. Someone with a shell on the host
 * could swap a checked directory for a link in between; FTP users cannot create links, and final
 * components are opened with O_NOFOLLOW where it matters.
 */
export class RootJail {
  /** Absolute real directory that is "/". */
  readonly root: string;

  /** `root` must be real (no links on the way to it): LocalFileSystem.create() realpaths it. */
  constructor(root: string) {
    if (!path.isAbsolute(root)) throw new TypeError('The file system root must be an absolute path.');
    this.root = path.resolve(root);
  }

  /**
   * Real path of an existing FTP path, all links followed. Like every lookup here it answers
   * synchronously (see metadata.ts) and fails with an FtpError.
   */
  real(ftpPath: string): string {
    return this.#resolve(ftpSegments(ftpPath));
  }

  /**
   * Locates the entry itself (its parent followed, its own name not), for operations that act on
   * links rather than through them, and for names that do not exist yet. Refuses "/" itself.
   * `purpose` 'create' reserves the upload prefix with a 553 rather than pretending the name is missing.
   */
  entry(ftpPath: string, purpose: 'lookup' | 'create'): EntryLocation {
    let segments: string[];
    try {
      segments = ftpSegments(ftpPath);
    } catch (err) {
      if (purpose === 'create' && err instanceof FileUnavailableError) {
        throw new FileNameNotAllowedError('File name not allowed.');
      }
      throw err;
    }
    const name = segments.pop();
    if (name === undefined) throw new FileUnavailableError('Not allowed on the root directory.');
    const parent = this.#resolve(segments);
    return { parent, name, full: path.join(parent, name) };
  }

  /** Where a link leads if that is an existing place inside the root; undefined when dangling or outside. */
  linkTarget(linkPath: string): string | undefined {
    let real: string;
    try {
      real = realpathNow(linkPath);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
      throw err;
    }
    return isInside(this.root, real) ? real : undefined;
  }

  /**
   * Real path of root + segments. The root is real already, so only the names below it are looked
   * at, one lstat each, where realpath would read every directory from "/" down again (the root
   * alone is 3-6 of them, on every command that names a path). A link anywhere below the root hands
   * the rest to realpath, which follows it, and the answer is checked against the root.
   */
  #resolve(segments: readonly string[]): string {
    let real = this.root;
    for (let i = 0; i < segments.length; i++) {
      const next = path.join(real, segments[i] ?? '');
      let isLink: boolean;
      try {
        isLink = lstatNow(next).isSymbolicLink();
      } catch (err) {
        throw toFtpError(err);
      }
      if (isLink) return this.#realInside(path.join(next, ...segments.slice(i + 1)));
      real = next;
    }
    return real;
  }

  #realInside(lexical: string): string {
    let real: string;
    try {
      real = realpathNow(lexical);
    } catch (err) {
      throw toFtpError(err);
    }
    if (!isInside(this.root, real)) throw new FileUnavailableError('Permission denied.');
    return real;
  }
}
