import { performance } from 'node:perf_hooks';
import { MANY_ACCOUNTS } from '../accounts.js';
import { ControlConnection, type Credentials } from '../control-client.js';
import { metric, type Metric } from '../report.js';
import { ANONYMOUS, type RunningServer } from '../servers.js';
import { percentile } from '../stats.js';
import type { Scenario, ScenarioResult } from './scenario.js';

const COUNT = 200;
// Discarded first cycles: a fresh Node server compiles its session code on the first connections,
// a one-off cost that would otherwise own the p99 of 200 samples.
const WARMUP = 5;
const STEP_TIMEOUT_MS = 10_000;

interface Timings {
  /** connect..230 of each cycle, ms. */
  readonly logins: number[];
  /** connect..221 (QUIT answered) of each cycle, ms. */
  readonly cycles: number[];
}

/** Sequential connect + USER/PASS + QUIT cycles, one per entry of `logins`. */
async function cycles(server: RunningServer, logins: readonly Credentials[]): Promise<Timings> {
  const timings: Timings = { logins: [], cycles: [] };
  for (const credentials of logins) {
    const start = performance.now();
    const control = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
    try {
      await control.login(credentials);
      const loggedIn = performance.now();
      await control.quit();
      timings.logins.push(loggedIn - start);
      timings.cycles.push(performance.now() - start);
    } finally {
      control.destroy();
    }
  }
  return timings;
}

function rows(key: string, label: string, values: readonly number[]): Metric[] {
  return [
    metric(`${key}-p50`, `${label} p50`, percentile(values, 50), 'ms', 2, 'lower'),
    metric(`${key}-p99`, `${label} p99`, percentile(values, 99), 'ms', 2, 'lower'),
  ];
}

export const loginScenario: Scenario = {
  id: 'login',
  title: () =>
    `4. Login latency, connect..230 (logged in), sequential, Node raw-socket driver: first login of ${MANY_ACCOUNTS} fresh password accounts (one each), ` +
    `then ${COUNT} repeat logins of one account, then ${COUNT} anonymous (${WARMUP} uncounted warm-up cycles before each kind but the first logins)`,
  sources: () => Promise.resolve({}),
  accounts: MANY_ACCOUNTS,
  anonymous: true,
  timeoutMs: () => (MANY_ACCOUNTS + 2 * (COUNT + WARMUP)) * 3 * STEP_TIMEOUT_MS,
  async run(context): Promise<ScenarioResult> {
    const { server } = context;
    const repeat = Array.from({ length: COUNT }, () => server.credentials);
    // The warm-up logs the main account in, so its counted logins are all repeats; the fresh
    // accounts have never logged in to this server process (ftpkitd: each pays its hash check).
    await cycles(server, repeat.slice(0, WARMUP));
    const first = await cycles(server, server.accounts);
    const again = await cycles(server, repeat);
    await cycles(
      server,
      Array.from({ length: WARMUP }, () => ANONYMOUS),
    );
    const anonymous = await cycles(
      server,
      Array.from({ length: COUNT }, () => ANONYMOUS),
    );
    const p50 = (values: readonly number[]): string => percentile(values, 50).toFixed(2);
    context.progress(
      `login p50: first ${p50(first.logins)} ms, repeat ${p50(again.logins)} ms, anonymous ${p50(anonymous.logins)} ms`,
    );
    return {
      metrics: [
        ...rows('first', 'first login (password)', first.logins),
        ...rows('repeat', 'repeat login (password)', again.logins),
        ...rows('repeat-cycle', 'repeat login, connect..221 (QUIT)', again.cycles),
        ...rows('anonymous', 'anonymous login', anonymous.logins),
      ],
      notes: [],
    };
  },
};
