import type { FtpClient } from './client.js';
import { prepareLocalRoot, scanDown } from './mirror/down.js';
import { runJobs, type Job } from './mirror/pool.js';
import type { ScanContext } from './mirror/tree.js';
import { prepareUploadRoot, scanUp } from './mirror/up.js';
import { createPathFilter } from './patterns.js';

export { LocalConflictError, UnsafeLocalPathError } from './mirror/local-path.js';
export { RemoteConflictError } from './mirror/up.js';

/** What mirror() copies, where, and how. */
export interface MirrorOptions {
  /** A logged-in client; it lists, compares and transfers, and its forks transfer alongside it. */
  client: FtpClient;
  /** 'down': remoteDir into localDir; 'up': localDir into remoteDir. */
  direction: 'down' | 'up';
  /** The remote directory: absolute, or relative to the client's current directory. */
  remoteDir: string;
  /** The local directory: made when copying down; it must exist when copying up. */
  localDir: string;
  /**
   * Globs on the relative path ('/'-separated, dot files included): a file is copied when it
   * matches one of these (or none are given) and no exclude. A glob without "/" matches the last
   * component at any depth ("*.txt"); one with "/" the whole path ("docs/*.md"); a trailing "/"
   * only directories.
   */
  include?: string[];
  /** Globs as for include; one that matches a directory leaves out everything below it. */
  exclude?: string[];
  /** Transfers at once, over the client and up to parallel-1 extra connections. Default 3, 1 to 16. */
  parallel?: number;
  /**
   * Which files to copy: 'changed' (the default) those missing on the receiving side, of another
   * size, or newer at the source; 'all' every file, whatever its size and time.
   */
  copy?: 'changed' | 'all';
  /** Called for each file copied, skipped (unchanged, a link, a special file) or failed. */
  onFile?: (event: MirrorFileEvent) => void;
  /** Stops starting files and cancels running transfers; the mirror rejects with its reason. */
  signal?: AbortSignal;
}

/** What a mirror reports for one file (or, when a whole directory fails, for that directory). */
export interface MirrorFileEvent {
  /** Relative to the mirrored directories, '/'-separated. */
  path: string;
  /** Copied, skipped (unchanged, a link, a special file) or failed. */
  action: 'copied' | 'skipped' | 'failed';
  /** Bytes copied (0 unless copied). */
  bytes: number;
  /** Why it failed. */
  error?: Error;
}

/** What mirror() did, counted in files. */
export interface MirrorSummary {
  /** Files copied. */
  copied: number;
  /** Files left as they were: unchanged, links, special files. */
  skipped: number;
  /** Files (or directories, when a whole directory failed) that could not be copied. */
  failed: number;
  /** Bytes of the copied files. */
  bytes: number;
}

export const DEFAULT_MIRROR_PARALLEL = 3;
export const MAX_MIRROR_PARALLEL = 16;

/**
 * Makes one side's tree like the other's, copying only files that are missing, differ in size, or
 * are newer at the source (by the listing's time, MDTM where the listing is vague, and the local
 * mtime; copied files get the source's time so that a second run skips them). Nothing is deleted.
 *
 * Names from a server listing are never trusted as local paths: a name that is not one plain
 * component is refused, and no file is written through a local link.
 *
 * A file that fails is reported and counted, and the others go on. The mirror rejects only when
 * the whole job fails: the remote (down) or local (up) directory is missing, the client's
 * connection is lost, or the signal aborts. Extra connections are closed in every case.
 */
export async function mirror(options: MirrorOptions): Promise<MirrorSummary> {
  const { client, signal } = options;
  const parallel = options.parallel ?? DEFAULT_MIRROR_PARALLEL;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_MIRROR_PARALLEL) {
    throw new RangeError(`parallel must be a whole number from 1 to ${MAX_MIRROR_PARALLEL}, not ${parallel}`);
  }
  signal?.throwIfAborted();
  const summary: MirrorSummary = { copied: 0, skipped: 0, failed: 0, bytes: 0 };
  const report = (event: MirrorFileEvent): void => {
    summary[event.action]++;
    summary.bytes += event.bytes;
    options.onFile?.(event);
  };
  const localRoot =
    options.direction === 'down'
      ? await prepareLocalRoot(options.localDir)
      : await prepareUploadRoot(options.localDir);
  const ctx: ScanContext = {
    remoteDir: options.remoteDir,
    localRoot,
    filter: createPathFilter({ include: options.include, exclude: options.exclude }),
    copyAll: options.copy === 'all',
    signal,
    report,
  };
  const jobs: Job[] = options.direction === 'down' ? await scanDown(ctx, client) : await scanUp(ctx, client);
  await runJobs({
    client,
    parallel,
    jobs,
    signal,
    report: (job, outcome) => {
      if ('error' in outcome) report({ path: job.path, action: 'failed', bytes: 0, error: outcome.error });
      else report({ path: job.path, action: 'copied', bytes: outcome.bytes });
    },
  });
  return summary;
}
