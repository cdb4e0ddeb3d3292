import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lutimes, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FileEntry } from '../../protocol/index.js';
import type { FtpClient } from '../client.js';
import { FtpReplyError } from '../errors.js';
import {
  checkFile,
  ensureLocalDir,
  isSafeLocalName,
  localDirState,
  type LocalDirState,
  lstatOrUndefined,
  pathInside,
  prepareLocalFile,
  UnsafeLocalPathError,
} from './local-path.js';
import { closeStream } from '../file-pipeline.js';
import type { Job } from './pool.js';
import { isLater, listedTime, preciseTime, type RemoteTime } from './times.js';
import {
  byName,
  failSubtree,
  joinRelative,
  remotePath,
  toError,
  type ScanContext,
  type ScanResult,
} from './tree.js';

/** Makes the local directory (the caller named it, so it is trusted as it is) and returns its real path. */
export async function prepareLocalRoot(localDir: string): Promise<string> {
  const root = resolve(localDir);
  await mkdir(root, { recursive: true });
  return realpath(root);
}

/**
 * Compares the remote tree with the local one and returns a job for each file to download. Local
 * directories are made here (empty ones too, unless includes say otherwise). The remote root must
 * exist; any other directory that cannot be listed or made is reported and left out.
 */
export async function scanDown(ctx: ScanContext, client: FtpClient): Promise<Job[]> {
  const root = remotePath(ctx.remoteDir, '');
  const entries = await client.list(root, ctx.signal === undefined ? {} : { signal: ctx.signal });
  // vsftpd and others answer LIST of a missing directory with an empty listing, not a 550.
  if (entries.length === 0) await requireRemoteDir(client, root);
  return (await scanEntries(ctx, client, entries, [], true)).jobs;
}

async function requireRemoteDir(client: FtpClient, path: string): Promise<void> {
  const here = await client.pwd();
  await client.cd(path);
  await client.cd(here);
}

async function scanDir(
  ctx: ScanContext,
  client: FtpClient,
  segments: string[],
  localExists: boolean,
): Promise<ScanResult> {
  const rel = segments.join('/');
  let entries: FileEntry[];
  try {
    entries = await client.list(
      remotePath(ctx.remoteDir, rel),
      ctx.signal === undefined ? {} : { signal: ctx.signal },
    );
  } catch (error) {
    if (!(error instanceof FtpReplyError)) throw error;
    ctx.report({ path: rel, action: 'failed', bytes: 0, error });
    return { jobs: [], keep: false };
  }
  return scanEntries(ctx, client, entries, segments, localExists);
}

async function scanEntries(
  ctx: ScanContext,
  client: FtpClient,
  entries: readonly FileEntry[],
  segments: string[],
  localExists: boolean,
): Promise<ScanResult> {
  const rel = segments.join('/');
  const jobs: Job[] = [];
  const seen = new Set<string>();
  for (const entry of [...entries].sort(byName)) {
    ctx.signal?.throwIfAborted();
    if (entry.name === '.' || entry.name === '..') continue;
    const childRel = joinRelative(rel, entry.name);
    // Never trusted as a path: "../x", "a/b" or "/etc/x" would write outside the local tree.
    if (!isSafeLocalName(entry.name)) {
      const error = new UnsafeLocalPathError(`Refusing the listed name ${JSON.stringify(entry.name)}.`);
      ctx.report({ path: childRel, action: 'failed', bytes: 0, error });
      continue;
    }
    // A listing naming one entry twice would have two transfers write one file.
    if (seen.has(entry.name)) continue;
    seen.add(entry.name);
    const childSegments = [...segments, entry.name];
    if (entry.type === 'dir') {
      if (!ctx.filter.entersDir(childRel)) continue;
      let state: LocalDirState;
      try {
        state = localExists ? await localDirState(ctx.localRoot, childSegments) : 'missing';
      } catch (error) {
        ctx.report({ path: childRel, action: 'failed', bytes: 0, error: toError(error) });
        continue;
      }
      const child = await scanDir(ctx, client, childSegments, state === 'dir');
      jobs.push(...child.jobs);
    } else if (ctx.filter.takesFile(childRel)) {
      if (entry.type !== 'file') {
        ctx.report({ path: childRel, action: 'skipped', bytes: 0 });
        continue;
      }
      const job = await compareFile(ctx, client, entry, childSegments, localExists);
      if (job !== undefined) jobs.push(job);
    }
  }
  const keep = jobs.length > 0 || (segments.length > 0 && ctx.filter.keepsEmptyDir(rel));
  if (keep) {
    try {
      await ensureLocalDir(ctx.localRoot, segments);
    } catch (error) {
      failSubtree(ctx, rel, jobs, toError(error));
      return { jobs: [], keep: false };
    }
  }
  return { jobs, keep };
}

async function compareFile(
  ctx: ScanContext,
  client: FtpClient,
  entry: FileEntry,
  segments: string[],
  localExists: boolean,
): Promise<Job | undefined> {
  const rel = segments.join('/');
  const source = remotePath(ctx.remoteDir, rel);
  let local: Stats | undefined;
  try {
    local = localExists ? await lstatOrUndefined(pathInside(ctx.localRoot, segments)) : undefined;
    if (local !== undefined) checkFile(local, segments);
  } catch (error) {
    ctx.report({ path: rel, action: 'failed', bytes: 0, error: toError(error) });
    return undefined;
  }
  let time: RemoteTime | undefined;
  if (local !== undefined && local.size === entry.size && !ctx.copyAll) {
    // Same size: only the time can tell, so it is worth an MDTM when the listing is vague.
    time = await preciseTime(client, source, entry);
    if (time === undefined || !isLater(time.time, local.mtime, time.resolutionMs)) {
      ctx.report({ path: rel, action: 'skipped', bytes: 0 });
      return undefined;
    }
  }
  return {
    path: rel,
    run: (worker, signal) => download(worker, signal, ctx.localRoot, source, segments, entry, time),
  };
}

/**
 * Downloads into a new hidden file beside the target and renames it over the target once complete:
 * a failed transfer leaves the old file as it was, and a link planted at the target is replaced,
 * never written through. The file gets the remote time, so that the next run skips it.
 */
async function download(
  client: FtpClient,
  signal: AbortSignal,
  localRoot: string,
  source: string,
  segments: readonly string[],
  entry: FileEntry,
  known: RemoteTime | undefined,
): Promise<number> {
  const target = await prepareLocalFile(localRoot, segments);
  // Read before the transfer: a time taken after it could belong to a newer version than the one copied.
  const time = known ?? (await preciseTime(client, source, entry)) ?? listedTime(entry);
  // Short on purpose: a long name plus a suffix could pass the file system's limit on names.
  const partial = join(target.dir, `.ftpkit-${randomBytes(6).toString('hex')}.part`);
  // "wx": created here or not at all, so it cannot be a link someone put there.
  const handle = await open(partial, 'wx');
  const stream = handle.createWriteStream();
  let complete = false;
  try {
    const result = await client.download(source, stream, { type: 'binary', signal });
    await closeStream(stream);
    if (time !== undefined) await lutimes(partial, new Date(), time.time);
    await rename(partial, target.path);
    complete = true;
    return result.bytes;
  } finally {
    if (!complete) {
      await closeStream(stream);
      await rm(partial, { force: true });
    }
  }
}
