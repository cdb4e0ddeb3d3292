// Mocha root hooks (loaded by .mocharc.json "require"): the suite fails if it leaves sockets,
// servers, timers or child processes behind. Mocha runs with --exit, so a leak is reported here
// instead of hanging the run.
import { setTimeout as delay } from 'node:timers/promises';
import { killAllChildren, liveChildCount } from './process.js';
import { stopSharedSwift } from './swift.js';
import { removeAllTempDirs } from './temp-dir.js';

const WATCHED = new Set(['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'PipeWrap', 'ProcessWrap']);

/** What was open before the first test (mocha's own piped stdout, say) is not a leak. */
let baseline = new Map<string, number>();

function count(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) if (WATCHED.has(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

function leaked(): string[] {
  const left: string[] = [];
  for (const [name, n] of count(process.getActiveResourcesInfo())) {
    for (let i = baseline.get(name) ?? 0; i < n; i++) left.push(name);
  }
  return left;
}

function summary(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${n} x ${name}`).join(', ');
}

export const mochaHooks = {
  beforeAll(): void {
    baseline = count(process.getActiveResourcesInfo());
  },

  afterAll: [
    // A hook of its own: the leak check below must look before its own hook's timer exists.
    async function stopSwift(this: Mocha.Context): Promise<void> {
      this.timeout(15_000);
      await stopSharedSwift();
    },
    leakCheck,
  ],
};

async function leakCheck(this: Mocha.Context): Promise<void> {
  this.timeout(15_000);
  // Closing sockets and exiting children finish a few event-loop turns after the last test.
  const deadline = Date.now() + 5000;
  while ((leaked().length > 0 || liveChildCount() > 0) && Date.now() < deadline) await delay(50);
  const left = leaked();
  const children = liveChildCount();
  killAllChildren();
  await removeAllTempDirs();
  if (left.length > 0 || children > 0) {
    throw new Error(
      `Resources left open after the suite: ${summary(left) || 'none'}; child processes: ${children}`,
    );
  }
}
