import { ControlConnection } from '../control-client.js';
import { settledSample, type MemorySample } from '../memory.js';
import { metric } from '../report.js';
import type { RunningServer } from '../servers.js';
import { summarizeErrors } from './concurrency.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { errorText } from './scenario.js';

const SESSIONS = 500;
// Logins in flight at once: enough to be quick, few enough that no server's listen backlog (vsftpd:
// 32) overflows, since this scenario measures memory, not accept speed.
const PARALLEL = 20;
const STEP_TIMEOUT_MS = 30_000;

async function openSessions(server: RunningServer, count: number, into: ControlConnection[]): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      const control = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
      into.push(control);
      await control.login(server.credentials);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/** Which figure counts: one Node process has nothing to share, vsftpd's sessions share their pages. */
export function headline(server: RunningServer, sample: MemorySample): number {
  return server.name === 'vsftpd' ? sample.pssKiB : sample.rssKiB;
}

export const memoryScenario: Scenario = {
  id: 'memory',
  title: () =>
    `5. Idle memory: fresh server, ${SESSIONS} logged-in idle control connections; growth per session (RSS of the Node process; vsftpd: summed PSS of listener + session processes)`,
  sources: () => Promise.resolve({}),
  timeoutMs: () => 4 * 60_000,
  async run(context): Promise<ScenarioResult> {
    const { server } = context;
    const read = (): Promise<MemorySample> => server.memory();
    const before = await settledSample(read);
    const sessions: ControlConnection[] = [];
    try {
      await openSessions(server, SESSIONS / 2, sessions);
      const half = await settledSample(read);
      await openSessions(server, SESSIONS / 2, sessions);
      const after = await settledSample(read);
      // Every session must still be there when measured: one the server dropped would flatter it.
      const checks = await Promise.allSettled(sessions.map((control) => control.expect('NOOP', [200])));
      const dead = checks.flatMap((c) => (c.status === 'rejected' ? [errorText(c.reason)] : []));
      if (dead.length > 0)
        throw new Error(`${dead.length} idle sessions did not answer NOOP: ${summarizeErrors(dead)}`);

      const perSession = (headline(server, after) - headline(server, before)) / SESSIONS;
      const marginal = (headline(server, after) - headline(server, half)) / (SESSIONS / 2);
      context.progress(`${perSession.toFixed(1)} KiB per idle session (${after.processes} processes)`);
      const notes = [
        `RSS ${(before.rssKiB / 1024).toFixed(1)} -> ${(after.rssKiB / 1024).toFixed(1)} MiB, PSS ${(before.pssKiB / 1024).toFixed(1)} -> ${(after.pssKiB / 1024).toFixed(1)} MiB, ${before.processes} -> ${after.processes} processes`,
      ];
      return {
        metrics: [
          metric('per-session', 'growth per idle session', perSession, 'KiB', 1, 'lower'),
          metric('marginal', 'growth per session, 250 -> 500', marginal, 'KiB', 1, 'lower'),
          metric(
            'rss-per-session',
            'RSS growth per session',
            (after.rssKiB - before.rssKiB) / SESSIONS,
            'KiB',
            1,
            'lower',
          ),
          metric(
            'pss-per-session',
            'PSS growth per session',
            (after.pssKiB - before.pssKiB) / SESSIONS,
            'KiB',
            1,
            'lower',
          ),
          metric(
            'baseline',
            'fresh server (same measure)',
            headline(server, before) / 1024,
            'MiB',
            1,
            'lower',
          ),
        ],
        notes,
      };
    } finally {
      for (const control of sessions) control.destroy();
    }
  },
};
