import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The soft and hard limits on open files of this process, from /proc. */
async function openFileLimits(): Promise<{ soft: number; hard: number }> {
  const text = await readFile('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  const value = (field: string | undefined): number => (field === 'unlimited' ? Infinity : Number(field));
  return { soft: value(match?.[1]), hard: value(match?.[2]) };
}

/**
 * Makes sure this process, and the servers it starts from now on (they inherit it), may hold
 * `needed` open files: Node cannot call setrlimit on itself, so prlimit(1) raises it from outside,
 * the hard limit too when we are root. Throws a one-line reason when it cannot.
 */
export async function ensureOpenFiles(needed: number): Promise<void> {
  const { soft, hard } = await openFileLimits();
  if (soft >= needed) return;
  const target =
    hard >= needed ? `${needed}:${hard === Infinity ? 'unlimited' : hard}` : `${needed}:${needed}`;
  try {
    await run('prlimit', [`--pid=${process.pid}`, `--nofile=${target}`]);
  } catch (error) {
    throw new Error(
      `${needed} open files needed, the limit is ${soft} (hard ${hard}) and prlimit could not raise it: ${(error as Error).message.split('\n')[0] ?? ''}; run with a higher "ulimit -n"`,
    );
  }
  const after = await openFileLimits();
  if (after.soft < needed)
    throw new Error(`open-file limit still ${after.soft} after prlimit; ${needed} needed`);
}
