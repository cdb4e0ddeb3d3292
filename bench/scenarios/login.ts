import { performance } from 'node:perf_hooks';
import { ControlConnection } from '../control-client.js';
import { metric } from '../report.js';
import { CREDENTIALS } from '../servers.js';
import { percentile } from '../stats.js';
import type { Scenario, ScenarioResult } from './scenario.js';

const COUNT = 200;
// Discarded first cycles: a fresh Node server compiles its session code on the first connections,
// a one-off cost that would otherwise own the p99 of 200 samples.
const WARMUP = 5;
const STEP_TIMEOUT_MS = 10_000;

export const loginScenario: Scenario = {
  id: 'login',
  title: () =>
    `4. Login latency: ${COUNT} sequential connect + USER/PASS + QUIT, Node raw-socket driver (${WARMUP} warm-up cycles not counted)`,
  sources: () => Promise.resolve({}),
  timeoutMs: () => (COUNT + WARMUP) * 3 * STEP_TIMEOUT_MS,
  async run(context): Promise<ScenarioResult> {
    const { server } = context;
    const logins: number[] = [];
    const cycles: number[] = [];
    for (let i = 0; i < COUNT + WARMUP; i++) {
      const start = performance.now();
      const control = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
      try {
        await control.login(CREDENTIALS);
        const loggedIn = performance.now();
        await control.quit();
        if (i >= WARMUP) {
          logins.push(loggedIn - start);
          cycles.push(performance.now() - start);
        }
      } finally {
        control.destroy();
      }
    }
    context.progress(
      `cycle p50 ${percentile(cycles, 50).toFixed(2)} ms, p99 ${percentile(cycles, 99).toFixed(2)} ms`,
    );
    return {
      metrics: [
        metric('cycle-p50', 'connect..221 (QUIT) p50', percentile(cycles, 50), 'ms', 2, 'lower'),
        metric('cycle-p99', 'connect..221 (QUIT) p99', percentile(cycles, 99), 'ms', 2, 'lower'),
        metric('login-p50', 'connect..230 (logged in) p50', percentile(logins, 50), 'ms', 2, 'lower'),
        metric('login-p99', 'connect..230 (logged in) p99', percentile(logins, 99), 'ms', 2, 'lower'),
      ],
      notes: [],
    };
  },
};
