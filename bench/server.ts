/**
 * The server benchmark: ftpkitd, ftp-srv, vsftpd and pyftpdlib side by side on loopback, same
 * clients and password accounts, one run. `npm run bench:server -- --help` for options; bench/README.md for what is measured.
 */
import { rm } from 'node:fs/promises';
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
import { errorText, type Scenario } from './scenarios/scenario.js';
import { smallScenario } from './scenarios/small.js';
import { tlsScenario } from './scenarios/tls.js';
import { BenchAccounts } from './accounts.js';
import { DEFAULT_CONNECTIONS, serverProblem, startServer } from './servers.js';
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

/**
 * One server's run of a scenario on a fresh root. The root is removed afterwards, or, when
 * `removals` is given, left for the caller to remove later (see main()).
 */
async function runOne(
  scenario: Scenario,
  name: ServerName,
  options: BenchOptions,
  workspace: string,
  sources: Sources,
  accounts: BenchAccounts,
  janitor: Janitor,
  removals?: (() => Promise<void>)[],
): Promise<Outcome> {
  const problem = serverProblem(name) ?? scenario.skip?.(name);
  if (problem !== undefined) return { kind: 'skipped', reason: problem };
  let root: string;
  try {
    root = await makeRoot(workspace, `${scenario.id}-${name}`, await scenario.sources(sources, options));
  } catch (error) {
    return { kind: 'failed', error: `preparing the files: ${errorText(error)}` };
  }
  const removeRoot = janitor.add(`remove root ${root}`, () => rm(root, { recursive: true, force: true }));
  try {
    const connections = scenario.connections?.(options) ?? DEFAULT_CONNECTIONS;
    // Both ends of every connection live on this machine: the bench's and the server's.
    await ensureOpenFiles(connections + 1024);
    const certificate = scenario.tls === true ? await serverCertificate(workspace) : undefined;
    const server = await startServer(name, root, workspace, janitor, {
      accounts,
      manyAccounts: scenario.accounts ?? 0,
      anonymous: scenario.anonymous === true,
      connections,
      ...(certificate === undefined ? {} : { tls: certificate }),
    });
    try {
      const progress = (line: string): void => {
        log(`  [${scenario.id}] ${name}: ${line}`);
      };
      const result = await withTimeout(
        scenario.run({ server, root, options, progress }),
        scenario.timeoutMs(options),
        `${scenario.id} on ${name}`,
      );
      return { kind: 'ok', metrics: result.metrics, notes: result.notes };
    } catch (error) {
      const output = server.output().trim();
      return {
        kind: 'failed',
        error: `${errorText(error)}${output === '' ? '' : `\nserver output: ${output}`}`,
      };
    } finally {
      // Stopping also ends whatever a timed-out run left hanging: its sockets see the server go.
      await server.stop().catch((error: unknown) => {
        log(`  [${scenario.id}] ${name}: warning: ${errorText(error)}`);
      });
    }
  } catch (error) {
    return { kind: 'failed', error: errorText(error) };
  } finally {
    if (removals === undefined) await removeRoot();
    else removals.push(removeRoot);
  }
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
      `bench: node ${process.version}, servers ${options.servers.join(', ')}, scenarios ${options.scenarios.join(', ')}${size}`,
    );
    log(`bench: workspace ${workspace}`);
    for (const id of options.scenarios) {
      const scenario = SCENARIOS[id];
      log(`bench: ${scenario.title(options)}`);
      const rounds = new Map<ServerName, Outcome[]>(options.servers.map((name) => [name, []]));
      const roundsOf = (name: ServerName): number => scenario.rounds?.(options, name) ?? 1;
      const mostRounds = Math.max(...options.servers.map(roundsOf));
      // Rounds keep their roots until the last one is over. Removing a round's thousands of files
      // makes ext4 pass over the freed inodes (recently_deleted()) on every file it creates for
      // several seconds: the next round's uploads measured that instead of the server.
      const removals: (() => Promise<void>)[] | undefined = mostRounds > 1 ? [] : undefined;
      for (let round = 0; round < mostRounds; round++) {
        for (const name of roundOrder(options.servers, round)) {
          if (janitor.isInterrupted()) return 130;
          const done = rounds.get(name) ?? [];
          if (done.length >= roundsOf(name) || done.some((outcome) => outcome.kind !== 'ok')) continue;
          const outcome = await runOne(
            scenario,
            name,
            options,
            workspace,
            sources,
            accounts,
            janitor,
            removals,
          );
          if (outcome.kind === 'failed') log(`  [${id}] ${name}: FAILED: ${outcome.error}`);
          if (outcome.kind === 'skipped') log(`  [${id}] ${name}: skipped: ${outcome.reason}`);
          done.push(outcome);
          rounds.set(name, done);
        }
      }
      for (const remove of removals ?? []) await remove();
      const perServer: ScenarioResults = new Map(
        options.servers.map((name) => [name, combineRounds(rounds.get(name) ?? [])]),
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
