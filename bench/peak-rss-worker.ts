/**
 * The worker thread of samplePeakRss() (memory.ts): reads the summed VmRSS of a process (and its
 * descendants) every `everyMs` with blocking reads, so that a busy bench event loop cannot delay
 * it, until the shared stop flag is set; then posts the peak and exits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { kibField, treeOf } from './memory.js';

interface Job {
  readonly pid: number;
  readonly tree: boolean;
  readonly everyMs: number;
  readonly stop: Int32Array;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // The process exited while we looked.
    return undefined;
  }
}

function pids(job: Job): number[] {
  if (!job.tree) return [job.pid];
  const stats: { pid: number; stat: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (stat !== undefined) stats.push({ pid: Number(entry), stat });
  }
  return treeOf(job.pid, stats);
}

function residentKiB(job: Job): number {
  let total = 0;
  for (const pid of pids(job)) {
    const status = read(`/proc/${pid}/status`);
    if (status !== undefined) total += kibField(status, 'VmRSS');
  }
  return total;
}

const job = workerData as Job;
let peakKiB = 0;
let samples = 0;
do {
  peakKiB = Math.max(peakKiB, residentKiB(job));
  samples += 1;
} while (Atomics.wait(job.stop, 0, 0, job.everyMs) === 'timed-out');
// One last reading: the peak may be the moment the last session ended.
peakKiB = Math.max(peakKiB, residentKiB(job));
parentPort?.postMessage({ peakKiB, samples: samples + 1 });
