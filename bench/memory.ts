import { readdir, readFile } from 'node:fs/promises';
import { sleep } from './timeout.js';

export interface MemorySample {
  /** Sum over the processes, KiB. */
  readonly rssKiB: number;
  /** Proportional set size: shared pages split between the processes sharing them, KiB. */
  readonly pssKiB: number;
  readonly processes: number;
}

function statField(statText: string, index: number): number | undefined {
  // The command name is in parentheses and may itself hold spaces or ')': fields resume after the
  // last ')', starting with the state (0), then ppid (1) and the process group (2).
  const value = Number(statText.slice(statText.lastIndexOf(')') + 2).split(' ')[index]);
  return Number.isInteger(value) ? value : undefined;
}

async function processStats(): Promise<{ pid: number; stat: string }[]> {
  const stats: { pid: number; stat: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.push({ pid: Number(entry), stat: await readFile(`/proc/${entry}/stat`, 'utf8') });
    } catch {
      // Exited while we looked.
    }
  }
  return stats;
}

/** Those of `pids` that are still running (zombies count as gone). */
export async function stillRunning(pids: readonly number[]): Promise<number[]> {
  const running: number[] = [];
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (!/\) Z /.test(stat)) running.push(pid);
    } catch {
      // Gone.
    }
  }
  return running;
}

/** `pid` and all its live descendants, from /proc. */
export async function processTree(pid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const { pid: child, stat } of await processStats()) {
    const ppid = statField(stat, 1);
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(child);
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

function field(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** Summed RSS and PSS of the given processes (those that exited meanwhile count as zero). */
export async function sampleMemory(pids: readonly number[]): Promise<MemorySample> {
  let rssKiB = 0;
  let pssKiB = 0;
  let processes = 0;
  for (const pid of pids) {
    let text: string;
    try {
      text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    } catch {
      continue;
    }
    rssKiB += field(text, 'Rss');
    pssKiB += field(text, 'Pss');
    processes += 1;
  }
  return { rssKiB, pssKiB, processes };
}

/**
 * Samples until two readings 250 ms apart agree within 64 KiB (allocations from the last
 * connections have landed), or `maxMs` has passed; returns the last reading.
 */
export async function settledSample(read: () => Promise<MemorySample>, maxMs = 5_000): Promise<MemorySample> {
  const deadline = Date.now() + maxMs;
  let last = await read();
  while (Date.now() < deadline) {
    await sleep(250);
    const next = await read();
    const steady = Math.abs(next.rssKiB - last.rssKiB) <= 64 && Math.abs(next.pssKiB - last.pssKiB) <= 64;
    last = next;
    if (steady) break;
  }
  return last;
}

/** Summed VmRSS of the given processes, KiB: cheaper than smaps_rollup, for sampling often. */
export async function residentKiB(pids: readonly number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    try {
      total += field(await readFile(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
    } catch {
      // Exited while we looked.
    }
  }
  return total;
}

/**
 * Samples the summed RSS of a process tree every `everyMs` until stopped; `stop()` resolves with the
 * highest reading. The first reading is taken at once.
 */
export function samplePeakRss(
  processes: () => Promise<number[]>,
  everyMs = 20,
): { stop(): Promise<{ peakKiB: number; samples: number }> } {
  // An object, not a let: the loop must see stop()'s write.
  const state = { running: true };
  let peakKiB = 0;
  let samples = 0;
  const loop = (async () => {
    while (state.running) {
      peakKiB = Math.max(peakKiB, await residentKiB(await processes()));
      samples += 1;
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      state.running = false;
      await loop;
      // One last reading: the peak may be the moment the last session ended.
      peakKiB = Math.max(peakKiB, await residentKiB(await processes()));
      return { peakKiB, samples: samples + 1 };
    },
  };
}

// USER_HZ: the unit of /proc/<pid>/stat's times, 100 on every Linux architecture Node runs on.
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) used by the given processes, their reaped children included
 * (cutime, cstime): a vsftpd session's time lands in its listener once the session has exited.
 */
export async function cpuSeconds(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // utime, stime, cutime, cstime: fields 14-17 of stat(5), 11-14 after the command name.
      for (const index of [11, 12, 13, 14]) ticks += statField(stat, index) ?? 0;
    } catch {
      // Exited while we looked.
    }
  }
  return ticks / TICKS_PER_SECOND;
}
