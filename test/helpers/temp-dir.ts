import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

const pending = new Set<string>();

/**
 * Creates a fresh directory under os.tmpdir(). The prefix keeps leftovers recognisable if a run is
 * killed before its `after` hook.
 */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `ftpkit-${prefix.replace(/[^\w.-]/g, '_')}-`));
  pending.add(path);
  return {
    path,
    async remove(): Promise<void> {
      await removeTempDir(path);
    },
  };
}

export async function removeTempDir(path: string): Promise<void> {
  // maxRetries covers a server that is still closing a file it was writing when the test ended.
  await rm(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  pending.delete(path);
}

/** Removes every directory made by makeTempDir that was not removed yet (for a root `after` hook). */
export async function removeAllTempDirs(): Promise<void> {
  await Promise.all([...pending].map((path) => removeTempDir(path)));
}
