import { performance } from 'node:perf_hooks';
import { MANY_ACCOUNTS } from '../accounts.js';
import { ControlConnection, retrieve, type Credentials } from '../control-client.js';
import { residentKiB, samplePeakRss } from '../memory.js';
import type { ScenarioId } from '../options.js';
import { metric } from '../report.js';
import type { RunningServer } from '../servers.js';
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
async function session(server: RunningServer, credentials: Credentials): Promise<number> {
  const start = performance.now();
  const control = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
  try {
    await control.login(credentials);
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

/**
 * Whose logins: one account's (its first login is in the burst), one account that logged in once
 * just before (a server that checked its password in the last --auth-cache-ttl seconds), or 200
 * accounts' first logins.
 */
type Logins = 'one' | 'known' | 'many';

const WHO: Record<Logins, { number: string; who: string }> = {
  one: { number: '3', who: 'one password account' },
  known: { number: '3a', who: 'one password account that logged in once just before' },
  many: { number: '3b', who: `${SESSIONS} different password accounts, each one's first login` },
};

function concurrency(id: ScenarioId, logins: Logins): Scenario {
  const manyAccounts = logins === 'many';
  const { number, who } = WHO[logins];
  return {
    id,
    title: () =>
      `${number}. Concurrency: ${SESSIONS} sessions started at once on ${who}, each logs in and fetches 1 MiB (Node raw-socket driver, EPSV); peak RSS of the server's processes sampled every 20 ms`,
    async sources(sources) {
      return { mid: await sources.mid(FILE_SIZE) };
    },
    ...(manyAccounts ? { accounts: MANY_ACCOUNTS } : {}),
    timeoutMs: () => 8 * STEP_TIMEOUT_MS,
    async run(context): Promise<ScenarioResult> {
      const { server } = context;
      const sessions = Array.from({ length: SESSIONS }, (_, i) =>
        manyAccounts ? server.accounts[i] : server.credentials,
      );
      if (sessions.some((credentials) => credentials === undefined))
        throw new Error(`the server knows ${server.accounts.length} accounts, ${SESSIONS} needed`);
      if (logins === 'known') {
        const before = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
        try {
          await before.login(server.credentials);
          await before.quit();
        } finally {
          before.destroy();
        }
      }
      const startupKiB = await residentKiB(await server.processes());
      const sampler = samplePeakRss(server.pid, server.forks);
      const start = performance.now();
      // Every session is launched in this one synchronous loop: they hit the server together.
      const settled = await Promise.allSettled(
        sessions.map((credentials) => session(server, credentials ?? server.credentials)),
      );
      const wall = (performance.now() - start) / 1000;
      const { peakKiB, samples } = await sampler.stop();
      const durations: number[] = [];
      const errors: string[] = [];
      for (const outcome of settled) {
        if (outcome.status === 'fulfilled') durations.push(outcome.value);
        else errors.push(errorText(outcome.reason));
      }
      context.progress(
        `${durations.length} ok, ${errors.length} failed, ${wall.toFixed(2)} s, peak RSS ${(peakKiB / 1024).toFixed(1)} MiB`,
      );
      const notes = [`${samples} RSS samples; RSS before the sessions ${(startupKiB / 1024).toFixed(1)} MiB`];
      if (server.name === 'vsftpd')
        notes.push('RSS summed over its processes: pages they share count once per process');
      if (errors.length > 0) notes.push(`errors: ${summarizeErrors(errors)}`);
      return {
        metrics: [
          metric('ok', 'sessions completed', durations.length, '', 0, 'none'),
          metric('failed', 'sessions failed', errors.length, '', 0, 'none'),
          metric('wall', 'wall time', wall, 's', 2, 'lower'),
          metric('p50', 'session time p50', percentile(durations, 50) / 1000, 's', 2, 'lower'),
          metric('max', 'session time max', percentile(durations, 100) / 1000, 's', 2, 'lower'),
          metric('startup-rss', 'RSS before the sessions', startupKiB / 1024, 'MiB', 1, 'lower'),
          metric('peak-rss', 'peak RSS during the run', peakKiB / 1024, 'MiB', 1, 'lower'),
          metric('rss-growth', 'peak RSS - RSS before', (peakKiB - startupKiB) / 1024, 'MiB', 1, 'lower'),
        ],
        notes,
      };
    },
  };
}

/** 200 sessions of one account at once. */
export const concurrencyScenario = concurrency('concurrency', 'one');
/** The same, the account's password checked just before: for ftpkitd, no hash check in the burst. */
export const concurrencyKnownScenario = concurrency('concurrency-known', 'known');
/** 200 first logins of 200 accounts at once: for ftpkitd, 200 hash checks queued together. */
export const concurrencyAccountsScenario = concurrency('concurrency-accounts', 'many');
