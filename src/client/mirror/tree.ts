import { posix } from 'node:path';
import type { MirrorFileEvent } from '../mirror.js';
import type { PathFilter } from '../patterns.js';
import type { Job } from './pool.js';

/** What both directions share while they compare the trees. */
export interface ScanContext {
  readonly remoteDir: string;
  readonly localRoot: string;
  readonly filter: PathFilter;
  /** Copy every file, whatever its size and time. */
  readonly copyAll: boolean;
  readonly signal: AbortSignal | undefined;
  /** Emits a 'skipped' or 'failed' event found during the comparison. */
  report(event: MirrorFileEvent): void;
}

/** The jobs found under a directory, and whether the directory itself should exist on the other side. */
export interface ScanResult {
  jobs: Job[];
  keep: boolean;
}

export function joinRelative(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/**
 * The remote path of a relative path under the remote directory. A path that would start with "-"
 * gets "./" first, so that no server reads a directory name as LIST options.
 */
export function remotePath(remoteDir: string, rel: string): string {
  const path = rel === '' ? remoteDir || '.' : posix.join(remoteDir || '.', rel);
  return path.startsWith('-') ? `./${path}` : path;
}

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** A fixed order (by UTF-16 code units): the same events in the same order on every run. */
export function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * A directory could not be made: every file planned inside it fails with that error (or the
 * directory itself does, when nothing was planned there).
 */
export function failSubtree(ctx: ScanContext, rel: string, jobs: readonly Job[], error: Error): void {
  if (jobs.length === 0) ctx.report({ path: rel, action: 'failed', bytes: 0, error });
  for (const job of jobs) ctx.report({ path: job.path, action: 'failed', bytes: 0, error });
}
