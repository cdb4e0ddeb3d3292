import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir, realpath, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FileEntry } from '../../protocol/index.js';
import type { FtpClient } from '../client.js';
import { FtpReplyError } from '../errors.js';
import {
  checkFile,
  LocalConflictError,
  localDirState,
  pathInside,
  UnsafeLocalPathError,
} from './local-path.js';
import { closeStream } from '../file-pipeline.js';
import type { Job } from './pool.js';
import { isLater, preciseTime } from './times.js';
import {
  byName,
  failSubtree,
  joinRelative,
  remotePath,
  toError,
  type ScanContext,
  type ScanResult,
} from './tree.js';

/** Reads bigger than the 64 KiB default: fewer trips through the stream machinery per file. */
const READ_CHUNK = 512 * 1024;

// O_NOFOLLOW: a file swapped for a link after the walk is refused, not followed out of the tree.
// O_NONBLOCK: one swapped for a FIFO fails the regular-file check instead of blocking the open.
// (Where a platform lacks one, the constant is undefined and adds no bit.)
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** The server has something other than what the mirror needs in the way. */
export class RemoteConflictError extends Error {
  /** Always "ERR_FTP_REMOTE_CONFLICT". */
  readonly code: string = 'ERR_FTP_REMOTE_CONFLICT';

  constructor(message: string) {
    super(message);
    this.name = 'RemoteConflictError';
  }
}

/** The local directory to upload, by its real path. @throws when it is missing or not a directory. */
export async function prepareUploadRoot(localDir: string): Promise<string> {
  const root = await realpath(resolve(localDir));
  if (!(await lstat(root)).isDirectory()) throw new LocalConflictError(`${localDir} is not a directory.`);
  return root;
}

/**
 * Compares the local tree with the remote one and returns a job for each file to upload. The
 * remote directory is made when missing, the ones under it as the walk finds them. Regular files
 * are uploaded and real directories walked; links and special files are reported as skipped.
 */
export async function scanUp(ctx: ScanContext, client: FtpClient): Promise<Job[]> {
  const root = remotePath(ctx.remoteDir, '');
  await client.mkdir(root, { parents: true });
  const listing = await listRemote(ctx, client, root);
  return (await scanDir(ctx, client, [], listing)).jobs;
}

async function listRemote(
  ctx: ScanContext,
  client: FtpClient,
  path: string,
): Promise<Map<string, FileEntry>> {
  const entries = await client.list(path, ctx.signal === undefined ? {} : { signal: ctx.signal });
  // Only a name that can match a local one matters; a listing naming one twice keeps the first.
  const byNames = new Map<string, FileEntry>();
  for (const entry of entries) if (!byNames.has(entry.name)) byNames.set(entry.name, entry);
  return byNames;
}

/** @param remote the remote directory's entries, or undefined when it does not exist yet */
async function scanDir(
  ctx: ScanContext,
  client: FtpClient,
  segments: string[],
  remote: Map<string, FileEntry> | undefined,
): Promise<ScanResult> {
  const rel = segments.join('/');
  let dirents: Dirent[];
  try {
    dirents = await readdir(pathInside(ctx.localRoot, segments), { withFileTypes: true });
  } catch (error) {
    if (segments.length === 0) throw error;
    ctx.report({ path: rel, action: 'failed', bytes: 0, error: toError(error) });
    return { jobs: [], keep: false };
  }
  const jobs: Job[] = [];
  for (const dirent of dirents.sort(byName)) {
    ctx.signal?.throwIfAborted();
    const childRel = joinRelative(rel, dirent.name);
    const childSegments = [...segments, dirent.name];
    const there = remote?.get(dirent.name);
    if (dirent.isDirectory()) {
      if (!ctx.filter.entersDir(childRel)) continue;
      let children: Map<string, FileEntry> | undefined;
      try {
        if (there !== undefined && there.type !== 'dir') {
          throw new RemoteConflictError(`${childRel} exists on the server and is not a directory.`);
        }
        if (there !== undefined)
          children = await listRemote(ctx, client, remotePath(ctx.remoteDir, childRel));
      } catch (error) {
        if (!(error instanceof FtpReplyError || error instanceof RemoteConflictError)) throw error;
        ctx.report({ path: childRel, action: 'failed', bytes: 0, error });
        continue;
      }
      jobs.push(...(await scanDir(ctx, client, childSegments, children)).jobs);
    } else if (ctx.filter.takesFile(childRel)) {
      if (!dirent.isFile()) {
        ctx.report({ path: childRel, action: 'skipped', bytes: 0 });
        continue;
      }
      const job = await compareFile(ctx, client, childSegments, there);
      if (job !== undefined) jobs.push(job);
    }
  }
  const keep = jobs.length > 0 || (segments.length > 0 && ctx.filter.keepsEmptyDir(rel));
  if (keep && remote === undefined) {
    try {
      await client.mkdir(remotePath(ctx.remoteDir, rel), { parents: true });
    } catch (error) {
      if (!(error instanceof FtpReplyError)) throw error;
      failSubtree(ctx, rel, jobs, error);
      return { jobs: [], keep: false };
    }
  }
  return { jobs, keep };
}

async function compareFile(
  ctx: ScanContext,
  client: FtpClient,
  segments: string[],
  there: FileEntry | undefined,
): Promise<Job | undefined> {
  const rel = segments.join('/');
  const target = remotePath(ctx.remoteDir, rel);
  let local: Stats;
  try {
    local = await lstat(pathInside(ctx.localRoot, segments));
    checkFile(local, segments);
    if (there?.type === 'dir') throw new RemoteConflictError(`${rel} is a directory on the server.`);
  } catch (error) {
    ctx.report({ path: rel, action: 'failed', bytes: 0, error: toError(error) });
    return undefined;
  }
  if (there !== undefined && there.size === local.size && !ctx.copyAll) {
    // Same size: only the time can tell. Without MFMT the server stamps the upload time, later than
    // the local one, so "not older than the local file" is also what makes a second run skip it.
    const time = await preciseTime(client, target, there);
    if (time === undefined || !isLater(local.mtime, time.time, time.resolutionMs)) {
      ctx.report({ path: rel, action: 'skipped', bytes: 0 });
      return undefined;
    }
  }
  return { path: rel, run: (worker, signal) => upload(worker, signal, ctx.localRoot, segments, target) };
}

/** Uploads one file, then gives it the local time (MFMT) where the server can, so the next run skips it. */
async function upload(
  client: FtpClient,
  signal: AbortSignal,
  localRoot: string,
  segments: readonly string[],
  target: string,
): Promise<number> {
  const rel = segments.join('/');
  // The walk saw real directories; they must still be, or the open below could leave the tree.
  if ((await localDirState(localRoot, segments.slice(0, -1))) !== 'dir') {
    throw new LocalConflictError(`${rel} disappeared.`);
  }
  let handle: FileHandle;
  try {
    handle = await open(pathInside(localRoot, segments), OPEN_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UnsafeLocalPathError(`Refusing to read through the link ${rel}.`);
    }
    throw error;
  }
  let stats: Stats;
  try {
    stats = await handle.stat();
    if (!stats.isFile()) throw new LocalConflictError(`${rel} is no longer a regular file.`);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const stream = handle.createReadStream({ highWaterMark: READ_CHUNK });
  let bytes: number;
  try {
    bytes = (await client.upload(stream, target, { type: 'binary', signal })).bytes;
  } finally {
    await closeStream(stream);
  }
  if (client.features.has('MFMT')) {
    try {
      await client.setModifiedTime(target, stats.mtime);
    } catch (error) {
      // The file is there; the next run just compares it by size and upload time.
      if (!(error instanceof FtpReplyError)) throw error;
    }
  }
  return bytes;
}
