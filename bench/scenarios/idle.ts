import { ControlConnection } from '../control-client.js';
import { settledSample, type MemorySample } from '../memory.js';
import { metric } from '../report.js';
import type { RunningServer } from '../servers.js';
import { summarizeErrors } from './concurrency.js';
import { headline } from './memory.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { errorText } from './scenario.js';

// Logins in flight at once: the count is the point here, not how fast they come.
const PARALLEL = 50;
const STEP_TIMEOUT_MS = 60_000;

async function openSessions(
  server: RunningServer,
  count: number,
  into: ControlConnection[],
  errors: string[],
): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      try {
        const control = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
        into.push(control);
        await control.login(server.credentials);
      } catch (error) {
        errors.push(errorText(error));
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

export const idleScenario: Scenario = {
  id: 'idle',
  title: (options) =>
    `7. Idle load: ${options.sessions} logged-in control connections held at once, then a NOOP on every one; memory per session (RSS; vsftpd: summed PSS)`,
  skip: (server) =>
    server === 'pyftpdlib'
      ? 'not set up for the load scenarios (its own limits and timeouts untuned)'
      : undefined,
  sources: () => Promise.resolve({}),
  connections: (options) => options.sessions + 100,
  timeoutMs: (options) => 5 * 60_000 + options.sessions * 20,
  async run(context): Promise<ScenarioResult> {
    const { server, options } = context;
    const read = (): Promise<MemorySample> => server.memory();
    const before = await settledSample(read);
    const sessions: ControlConnection[] = [];
    const errors: string[] = [];
    const start = Date.now();
    try {
      await openSessions(server, options.sessions, sessions, errors);
      const opened = (Date.now() - start) / 1000;
      context.progress(
        `${sessions.length - errors.length} logged in in ${opened.toFixed(1)} s, ${errors.length} failed`,
      );
      const after = await settledSample(read, 15_000);
      const checks = await Promise.allSettled(sessions.map((control) => control.expect('NOOP', [200])));
      const answered = checks.filter((c) => c.status === 'fulfilled').length;
      for (const c of checks) if (c.status === 'rejected') errors.push(errorText(c.reason));
      const perSession = (headline(server, after) - headline(server, before)) / options.sessions;
      context.progress(`${answered} answered NOOP; ${perSession.toFixed(1)} KiB per session`);
      return {
        metrics: [
          metric('answered', 'sessions answering NOOP', answered, '', 0, 'none'),
          metric('failed', 'sessions failed (login or NOOP)', options.sessions - answered, '', 0, 'none'),
          metric('open-time', 'time to open and log in all', opened, 's', 1, 'lower'),
          metric('per-session', 'memory per session', perSession, 'KiB', 1, 'lower'),
          metric('total', 'memory in all', headline(server, after) / 1024, 'MiB', 1, 'lower'),
        ],
        notes: [
          `RSS ${(before.rssKiB / 1024).toFixed(1)} -> ${(after.rssKiB / 1024).toFixed(1)} MiB, PSS ${(before.pssKiB / 1024).toFixed(1)} -> ${(after.pssKiB / 1024).toFixed(1)} MiB, ${before.processes} -> ${after.processes} processes`,
          ...(errors.length > 0 ? [`errors: ${summarizeErrors(errors)}`] : []),
        ],
      };
    } finally {
      for (const control of sessions) control.destroy();
    }
  },
};
