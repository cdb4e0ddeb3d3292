import { performance } from 'node:perf_hooks';
import { ControlConnection, retrieve } from '../control-client.js';
import { metric } from '../report.js';
import { CREDENTIALS, type RunningServer } from '../servers.js';
import { percentile } from '../stats.js';
import { MID_FILE } from '../workspace.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { errorText } from './scenario.js';

const SESSIONS = 200;
const FILE_SIZE = 1024 * 1024;
// Per step (connect, each reply, the data): long enough to ride out SYN retransmits when a
// server's listen backlog overflows (1 s, 3 s, 7 s...), short enough to call a stall a failure.
const STEP_TIMEOUT_MS = 30_000;

/** One client: connect, log in, fetch the file over EPSV, QUIT. Resolves with its duration in ms. */
async function session(server: RunningServer): Promise<number> {
  const start = performance.now();
  const control = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
  try {
    await control.login(CREDENTIALS);
    await control.expect('TYPE I', [200]);
    const bytes = await retrieve(control, server.host, MID_FILE, STEP_TIMEOUT_MS);
    if (bytes !== FILE_SIZE) throw new Error(`RETR ${MID_FILE}: ${bytes} bytes, expected ${FILE_SIZE}`);
    await control.quit();
    return performance.now() - start;
  } finally {
    control.destroy();
  }
}

/** "3x connect ECONNRESET; 1x waiting for a reply: ..." from a list of failures, most frequent first. */
export function summarizeErrors(errors: readonly string[], max = 4): string {
  const counts = new Map<string, number>();
  for (const error of errors) counts.set(error, (counts.get(error) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, max).map(([text, n]) => `${n}x ${text}`);
  if (sorted.length > max) shown.push(`(${sorted.length - max} more distinct errors)`);
  return shown.join('; ');
}

export const concurrencyScenario: Scenario = {
  id: 'concurrency',
  title: () =>
    `3. Concurrency: ${SESSIONS} sessions started at once, each logs in and fetches 1 MiB (Node raw-socket driver, EPSV)`,
  async sources(sources) {
    return { mid: await sources.mid(FILE_SIZE) };
  },
  timeoutMs: () => 8 * STEP_TIMEOUT_MS,
  async run(context): Promise<ScenarioResult> {
    const start = performance.now();
    // Every session is launched in this one synchronous loop: they hit the server together.
    const settled = await Promise.allSettled(Array.from({ length: SESSIONS }, () => session(context.server)));
    const wall = (performance.now() - start) / 1000;
    const durations: number[] = [];
    const errors: string[] = [];
    for (const outcome of settled) {
      if (outcome.status === 'fulfilled') durations.push(outcome.value);
      else errors.push(errorText(outcome.reason));
    }
    context.progress(`${durations.length} ok, ${errors.length} failed, ${wall.toFixed(2)} s`);
    return {
      metrics: [
        metric('ok', 'sessions completed', durations.length, '', 0, 'none'),
        metric('failed', 'sessions failed', errors.length, '', 0, 'none'),
        metric('wall', 'wall time', wall, 's', 2, 'lower'),
        metric('p50', 'session time p50', percentile(durations, 50) / 1000, 's', 2, 'lower'),
        metric('max', 'session time max', percentile(durations, 100) / 1000, 's', 2, 'lower'),
      ],
      notes: errors.length > 0 ? [`errors: ${summarizeErrors(errors)}`] : [],
    };
  },
};
