/**
 * The server benchmark: ftpkitd, ftp-srv, vsftpd and pyftpdlib side by side on loopback, same
 * clients and password accounts, one run. `npm run bench:server -- --help` for options; bench/README.md for what is measured.
 */
import { readFile, rm } from 'node:fs/promises';
import {
  formatBytes,
  parseOptions,
  USAGE,
  UsageError,
  type BenchOptions,
  type ScenarioId,
  type ServerName,
} from './options.js';
import { Janitor } from './janitor.js';
import { formatSummary, formatTable, type Outcome, type ScenarioResults } from './report.js';
import { combineRounds, roundOrder } from './rounds.js';
import {
  concurrencyAccountsScenario,
  concurrencyKnownScenario,
  concurrencyScenario,
} from './scenarios/concurrency.js';
import { largeScenario } from './scenarios/large.js';
import { loginScenario } from './scenarios/login.js';
import { idleScenario } from './scenarios/idle.js';
import { memoryScenario } from './scenarios/memory.js';
import { soakScenario } from './scenarios/soak.js';
import { s3Scenario } from './scenarios/s3.js';
import { errorText, type Scenario, type ScenarioContext, type ScenarioResult } from './scenarios/scenario.js';
import { smallScenario } from './scenarios/small.js';
import { tlsScenario } from './scenarios/tls.js';
import { BenchAccounts } from './accounts.js';
import { DEFAULT_CONNECTIONS, serverProblem, startServer, type RunningServer } from './servers.js';
import { ensureOpenFiles } from './limits.js';
import { checkTargets } from './summary.js';
import { makeServerCertificate, type ServerCertificate } from './tls-certificate.js';
import { withTimeout } from './timeout.js';
import { makeRoot, makeWorkspace, Sources } from './workspace.js';

const SCENARIOS: Record<ScenarioId, Scenario> = {
  large: largeScenario,
  small: smallScenario,
  concurrency: concurrencyScenario,
  'concurrency-known': concurrencyKnownScenario,
  'concurrency-accounts': concurrencyAccountsScenario,
  login: loginScenario,
  memory: memoryScenario,
  idle: idleScenario,
  soak: soakScenario,
  tls: tlsScenario,
  s3: s3Scenario,
};

let certificate: Promise<ServerCertificate> | undefined;

/** One throw-away certificate per run, for every server of the TLS scenarios. */
function serverCertificate(workspace: string): Promise<ServerCertificate> {
  certificate ??= makeServerCertificate(workspace);
  return certificate;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** What every server's run of a scenario shares. */
interface Bench {
  readonly options: BenchOptions;
  readonly workspace: string;
  readonly sources: Sources;
  readonly accounts: BenchAccounts;
  readonly janitor: Janitor;
}

/** A server started on a fresh root for a scenario, for one turn or several. */
interface Staged {
  readonly context: ScenarioContext;
  /** Stops the server and removes its root, or leaves the root to the caller (see stage()). */
  close(): Promise<void>;
}

/**
 * A fresh root and the server on it, warmed up when the scenario asks; an outcome instead when
 * the server does not run the scenario or does not start. The root is removed on close(), or,
 * when `removals` is given, left for the caller to remove later (see runScenario()).
 */
async function stage(
  scenario: Scenario,
  name: ServerName,
  bench: Bench,
  removals?: (() => Promise<void>)[],
): Promise<Staged | Outcome> {
  const { options, workspace, janitor } = bench;
  const problem = serverProblem(name) ?? scenario.skip?.(name);
  if (problem !== undefined) return { kind: 'skipped', reason: problem };
  let root: string;
  try {
    root = await makeRoot(
      workspace,
      `${scenario.id}-${name}`,
      await scenario.sources(bench.sources, options),
    );
  } catch (error) {
    return { kind: 'failed', error: `preparing the files: ${errorText(error)}` };
  }
  const removeRoot = janitor.add(`remove root ${root}`, () => rm(root, { recursive: true, force: true }));
  const dropRoot = async (): Promise<void> => {
    if (removals === undefined) await removeRoot();
    else removals.push(removeRoot);
  };
  let server: RunningServer;
  try {
    const connections = scenario.connections?.(options) ?? DEFAULT_CONNECTIONS;
    // Both ends of every connection live on this machine: the bench's and the server's.
    await ensureOpenFiles(connections + 1024);
    const certificate = scenario.tls === true ? await serverCertificate(workspace) : undefined;
    server = await startServer(name, root, workspace, janitor, {
      accounts: bench.accounts,
      manyAccounts: scenario.accounts ?? 0,
      anonymous: scenario.anonymous === true,
      connections,
      ...(certificate === undefined ? {} : { tls: certificate }),
    });
  } catch (error) {
    await dropRoot();
    return { kind: 'failed', error: errorText(error) };
  }
  const progress = (line: string): void => {
    log(`  [${scenario.id}] ${name}: ${line}`);
  };
  const staged: Staged = {
    context: { server, root, options, progress },
    close: async () => {
      // Stopping also ends whatever a timed-out run left hanging: its sockets see the server go.
      await server.stop().catch((error: unknown) => {
        log(`  [${scenario.id}] ${name}: warning: ${errorText(error)}`);
      });
      await dropRoot();
    },
  };
  if (scenario.warmUp === undefined) return staged;
  const warmUp = scenario.warmUp(staged.context).then(() => ({ metrics: [], notes: [] }));
  const warmed = await attempt(scenario, staged, warmUp);
  if (warmed.kind === 'ok') return staged;
  await staged.close();
  return warmed;
}

/** One turn of the scenario on a staged server. */
function turn(scenario: Scenario, staged: Staged): Promise<Outcome> {
  return attempt(scenario, staged, scenario.run(staged.context));
}

async function attempt(
  scenario: Scenario,
  { context }: Staged,
  work: Promise<ScenarioResult>,
): Promise<Outcome> {
  try {
    const result = await withTimeout(
      work,
      scenario.timeoutMs(context.options),
      `${scenario.id} on ${context.server.name}`,
    );
    return { kind: 'ok', metrics: result.metrics, notes: result.notes };
  } catch (error) {
    const output = context.server.output().trim();
    return {
      kind: 'failed',
      error: `${errorText(error)}${output === '' ? '' : `\nserver output: ${output}`}`,
    };
  }
}

/**
 * Every server's outcomes of a scenario. With `turns`, each server is started once and the servers
 * take turns, kept running between theirs; else each round runs on a fresh server and root, the
 * servers in turn (roundOrder in both).
 */
async function runScenario(scenario: Scenario, bench: Bench): Promise<Map<ServerName, Outcome[]>> {
  const { options, janitor } = bench;
  const servers = options.servers;
  const outcomes = new Map<ServerName, Outcome[]>(servers.map((name) => [name, []]));
  const record = (name: ServerName, outcome: Outcome): void => {
    if (outcome.kind === 'failed') log(`  [${scenario.id}] ${name}: FAILED: ${outcome.error}`);
    if (outcome.kind === 'skipped') log(`  [${scenario.id}] ${name}: skipped: ${outcome.reason}`);
    outcomes.get(name)?.push(outcome);
  };
  const turns = scenario.turns?.(options);
  if (turns !== undefined) {
    const staged = new Map<ServerName, Staged>();
    try {
      for (const name of servers) {
        if (janitor.isInterrupted()) return outcomes;
        const result = await stage(scenario, name, bench);
        if ('kind' in result) record(name, result);
        else staged.set(name, result);
      }
      for (let round = 0; round < turns; round++) {
        for (const name of roundOrder(servers, round)) {
          const server = staged.get(name);
          if (server === undefined) continue;
          if (janitor.isInterrupted()) return outcomes;
          const outcome = await turn(scenario, server);
          record(name, outcome);
          if (outcome.kind === 'ok') continue;
          staged.delete(name);
          await server.close();
        }
      }
    } finally {
      for (const server of staged.values()) await server.close();
    }
    return outcomes;
  }
  const roundsOf = (name: ServerName): number => scenario.rounds?.(options, name) ?? 1;
  const mostRounds = Math.max(...servers.map(roundsOf));
  // Rounds keep their roots until the last one is over. Removing a round's thousands of files
  // makes ext4 pass over the freed inodes (recently_deleted()) on every file it creates for
  // several seconds: the next round's uploads measured that instead of the server.
  const removals: (() => Promise<void>)[] | undefined = mostRounds > 1 ? [] : undefined;
  try {
    for (let round = 0; round < mostRounds; round++) {
      for (const name of roundOrder(servers, round)) {
        if (janitor.isInterrupted()) return outcomes;
        const done = outcomes.get(name) ?? [];
        if (done.length >= roundsOf(name) || done.some((outcome) => outcome.kind !== 'ok')) continue;
        const staged = await stage(scenario, name, bench, removals);
        if ('kind' in staged) {
          record(name, staged);
          continue;
        }
        try {
          record(name, await turn(scenario, staged));
        } finally {
          await staged.close();
        }
      }
    }
  } finally {
    for (const remove of removals ?? []) await remove();
  }
  return outcomes;
}

/** The kernel's TCP congestion control: it moves the large transfers' rates (bench/README.md). */
async function congestionControl(): Promise<string> {
  const name = await readFile('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').catch(() => 'unknown');
  return name.trim();
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const janitor = new Janitor();
  janitor.installSignalHandlers();
  const results = new Map<ScenarioId, ScenarioResults>();
  try {
    const workspace = await makeWorkspace(janitor);
    const sources = new Sources(workspace);
    const accounts = new BenchAccounts(workspace, janitor);
    const size = options.scenarios.includes('large') ? `, large files ${formatBytes(options.size)}` : '';
    log(
      `bench: node ${process.version}, TCP congestion control ${await congestionControl()}, servers ${options.servers.join(', ')}, scenarios ${options.scenarios.join(', ')}${size}`,
    );
    log(`bench: workspace ${workspace}`);
    for (const id of options.scenarios) {
      const scenario = SCENARIOS[id];
      log(`bench: ${scenario.title(options)}`);
      const outcomes = await runScenario(scenario, { options, workspace, sources, accounts, janitor });
      if (janitor.isInterrupted()) return 130;
      const perServer: ScenarioResults = new Map(
        options.servers.map((name) => [name, combineRounds(outcomes.get(name) ?? [])]),
      );
      results.set(id, perServer);
      process.stdout.write(`\n${formatTable(scenario.title(options), options.servers, perServer)}\n`);
    }
    process.stdout.write(`\n${formatSummary(checkTargets(results))}\n`);
    return 0;
  } finally {
    await janitor.sweep();
  }
}

process.exitCode = await main();
