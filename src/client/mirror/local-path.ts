import type { Stats } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { isPlainName } from '../../protocol/index.js';

/** A local path a mirror refuses to write: it would leave the target tree or pass through a link. */
export class UnsafeLocalPathError extends Error {
  /** Always "ERR_FTP_UNSAFE_LOCAL_PATH". */
  readonly code: string = 'ERR_FTP_UNSAFE_LOCAL_PATH';

  constructor(message: string) {
    super(message);
    this.name = 'UnsafeLocalPathError';
  }
}

/** Something other than what the mirror needs is in the way (a file where a directory goes). */
export class LocalConflictError extends Error {
  /** Always "ERR_FTP_LOCAL_CONFLICT". */
  readonly code: string = 'ERR_FTP_LOCAL_CONFLICT';

  constructor(message: string) {
    super(message);
    this.name = 'LocalConflictError';
  }
}

/**
 * Whether a name from a server listing may become one local path component. Windows would also
 * split at "\" and read "name:stream" or a drive, so those are refused there.
 */
export function isSafeLocalName(name: string): boolean {
  return isPlainName(name) && !(process.platform === 'win32' && /[\\:]/.test(name));
}

/**
 * root joined with the segments, after checking each is a safe name and, in case a check above was
 * missed, that the resolved path is still inside root.
 * @throws UnsafeLocalPathError otherwise.
 */
export function pathInside(root: string, segments: readonly string[]): string {
  for (const segment of segments) {
    if (!isSafeLocalName(segment)) {
      throw new UnsafeLocalPathError(`Refusing the name ${JSON.stringify(segment)}: not a plain file name.`);
    }
  }
  const path = resolve(root, ...segments);
  const prefix = root.endsWith(sep) ? root : root + sep;
  if (path !== root && !path.startsWith(prefix)) {
    throw new UnsafeLocalPathError(
      `Refusing ${JSON.stringify(segments.join('/'))}: it resolves outside ${root}.`,
    );
  }
  return path;
}

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** What is at a local path that should be a directory: nothing yet, or a real directory. */
export type LocalDirState = 'missing' | 'dir';

/**
 * Checks every directory from root down to root/segments: each must be missing or a real
 * directory. A link is refused even when it points inside the tree: whether it does can change
 * between the check and the write.
 * @throws UnsafeLocalPathError for a link, LocalConflictError for a file in the way.
 */
export async function localDirState(root: string, segments: readonly string[]): Promise<LocalDirState> {
  for (let i = 0; i < segments.length; i++) {
    const stats = await lstatOrUndefined(pathInside(root, segments.slice(0, i + 1)));
    if (stats === undefined) return 'missing';
    checkDirectory(stats, segments.slice(0, i + 1));
  }
  return 'dir';
}

/** Creates root/segments and the directories on the way, with the same checks as localDirState. */
export async function ensureLocalDir(root: string, segments: readonly string[]): Promise<string> {
  let path = root;
  for (let i = 0; i < segments.length; i++) {
    const walked = segments.slice(0, i + 1);
    path = pathInside(root, walked);
    let stats = await lstatOrUndefined(path);
    if (stats === undefined) {
      try {
        await mkdir(path);
      } catch (error) {
        // Another transfer of this mirror may have made it a moment ago.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      stats = await lstat(path);
    }
    checkDirectory(stats, walked);
  }
  return path;
}

/**
 * Where a file may be written: its parents are made real directories inside root, and the file
 * itself must be missing or a regular file (a link there is refused: writing would go through it).
 * Returns the file's path, its directory and what is there now.
 */
export async function prepareLocalFile(
  root: string,
  segments: readonly string[],
): Promise<{ path: string; dir: string; existing: Stats | undefined }> {
  const dir = await ensureLocalDir(root, segments.slice(0, -1));
  const path = pathInside(root, segments);
  const existing = await lstatOrUndefined(path);
  if (existing !== undefined) checkFile(existing, segments);
  return { path, dir, existing };
}

/** @throws UnsafeLocalPathError for a link, LocalConflictError for anything but a regular file. */
export function checkFile(stats: Stats, segments: readonly string[]): void {
  const rel = segments.join('/');
  if (stats.isSymbolicLink()) throw new UnsafeLocalPathError(`Refusing to write through the link ${rel}.`);
  if (!stats.isFile()) throw new LocalConflictError(`${rel} exists locally and is not a regular file.`);
}

function checkDirectory(stats: Stats, segments: readonly string[]): void {
  const rel = segments.join('/');
  if (stats.isSymbolicLink()) throw new UnsafeLocalPathError(`Refusing to go through the link ${rel}.`);
  if (!stats.isDirectory()) throw new LocalConflictError(`${rel} exists locally and is not a directory.`);
}
