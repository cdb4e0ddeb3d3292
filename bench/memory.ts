import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sleep } from './timeout.js';

export interface MemorySample {
  /** Sum over the processes, KiB. */
  readonly rssKiB: number;
  /** Proportional set size: shared pages split between the processes sharing them, KiB. */
  readonly pssKiB: number;
  readonly processes: number;
}

/** A numeric field of a /proc/<pid>/stat text, counted from the state (0) after the command name. */
export function statField(statText: string, index: number): number | undefined {
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
  return treeOf(pid, await processStats());
}

/** `pid` and its descendants among the given processes' /proc/<pid>/stat texts. */
export function treeOf(pid: number, stats: readonly { pid: number; stat: string }[]): number[] {
  const children = new Map<number, number[]>();
  for (const { pid: child, stat } of stats) {
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

/** A "Name:  123 kB" field of a /proc file (status, smaps_rollup), in KiB; 0 when absent. */
export function kibField(text: string, name: string): number {
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
    rssKiB += kibField(text, 'Rss');
    pssKiB += kibField(text, 'Pss');
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
      total += kibField(await readFile(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
    } catch {
      // Exited while we looked.
    }
  }
  return total;
}

/** What the peak sampler reports. */
export interface PeakRss {
  readonly peakKiB: number;
  readonly samples: number;
}

const SAMPLER = fileURLToPath(new URL('peak-rss-worker.js', import.meta.url));

/**
 * Samples the summed RSS of `pid` (and with `tree` its descendants) every `everyMs` in a worker
 * thread until stopped; `stop()` resolves with the highest reading. A thread of its own, because
 * the bench's event loop is busy driving 200 sessions: sampled from there, vsftpd's short-lived
 * session processes came and went between two readings.
 */
export function samplePeakRss(pid: number, tree: boolean, everyMs = 20): { stop(): Promise<PeakRss> } {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(SAMPLER, { workerData: { pid, tree, everyMs, stop } });
  const result = new Promise<PeakRss>((resolve, reject) => {
    worker.once('message', (message: PeakRss) => {
      resolve(message);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      reject(new Error(`the RSS sampler exited (code ${code}) without a result`));
    });
  });
  return {
    stop() {
      Atomics.store(stop, 0, 1);
      Atomics.notify(stop, 0);
      return result;
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
