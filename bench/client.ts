/**
 * The client benchmark: the ftpkit client, basic-ftp and curl side by side against one server on
 * loopback (vsftpd where it can run, else ftpkitd). `npm run bench:client -- --help` for options;
 * bench/README.md ("Client benchmark") for what is measured.
 */
import { mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CASES,
  driverProblem,
  measureOnce,
  unsupported,
  type BenchContext,
  type BenchFiles,
  type Case,
  type Measurement,
} from './client/cases.js';
import { curlOverheadCpu, curlProblem, runCurl } from './client/curl.js';
import { STALL_SECONDS, type ClientName, type DriverJob } from './client/job.js';
import {
  CLIENT_USAGE,
  parseClientOptions,
  SMALL_FILE_SIZE,
  type BenchServer,
  type ClientBenchOptions,
  type Group,
} from './client/options.js';
import { checkClientTargets, cpuKey, rateKey } from './client/summary.js';
import { Janitor } from './janitor.js';
import { formatBytes, UsageError } from './options.js';
import { formatSummary, formatTable, metric, type Metric, type Outcome } from './report.js';
import { errorText } from './scenarios/scenario.js';
import { BenchAccounts } from './accounts.js';
import { DEFAULT_CONNECTIONS, serverProblem, startServer, type RunningServer } from './servers.js';
import { makeServerCertificate } from './tls-certificate.js';
import { median } from './stats.js';
import { BIG_FILE, makeRoot, makeWorkspace, SMALL_DIR, Sources } from './workspace.js';

const GIB = 1024 ** 3;
// Room for the sources plus one transfer's output at a time (each run's files are removed at once).
const SPARE_BYTES = 256 * 1024 ** 2;
const WARM_UP_SMALL_FILES = 50;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface CaseRecord {
  readonly runs: Measurement[];
  error?: string;
}

type Records = Map<string, Map<ClientName, CaseRecord>>;

function rate(item: Case, m: Measurement): number {
  return item.group === 'large' ? m.bytes / m.seconds / 1e9 : m.files / m.seconds;
}

function cpu(item: Case, m: Measurement): number {
  return item.group === 'large' ? m.cpuSeconds / (m.bytes / GIB) : (m.cpuSeconds * 1000) / m.files;
}

function describe(item: Case, m: Measurement): string {
  return item.group === 'large'
    ? `${rate(item, m).toFixed(2)} GB/s, ${cpu(item, m).toFixed(2)} CPU s/GiB`
    : `${rate(item, m).toFixed(0)} files/s, ${cpu(item, m).toFixed(3)} CPU ms/file`;
}

function caseMetrics(item: Case, record: CaseRecord | undefined, reason: string | undefined): Metric[] {
  const large = item.group === 'large';
  const rateMetric = (value: number): Metric =>
    metric(rateKey(item.key), item.label, value, large ? 'GB/s' : 'files/s', large ? 2 : 0, 'higher');
  const cpuMetric = (value: number): Metric =>
    metric(cpuKey(item.key), `${item.label} CPU`, value, large ? 's/GiB' : 'ms/file', large ? 2 : 3, 'lower');
  const runs = record?.runs ?? [];
  const text = reason ?? (runs.length === 0 ? 'FAILED' : undefined);
  if (text !== undefined)
    return [
      { ...rateMetric(Number.NaN), text },
      { ...cpuMetric(Number.NaN), text },
    ];
  return [
    rateMetric(median(runs.map((m) => rate(item, m)))),
    cpuMetric(median(runs.map((m) => cpu(item, m)))),
  ];
}

function groupOutcome(
  group: Group,
  client: ClientName,
  records: Records,
  problem: string | undefined,
  curlOverhead: number,
  tls: boolean,
): Outcome {
  if (problem !== undefined) return { kind: 'skipped', reason: problem };
  const metrics: Metric[] = [];
  const notes: string[] = [];
  const perRun: string[] = [];
  const stalls: string[] = [];
  for (const item of CASES.filter((c) => c.group === group)) {
    const record = records.get(item.key)?.get(client);
    metrics.push(...caseMetrics(item, record, unsupported(client, item, tls)));
    if (record?.error !== undefined) notes.push(`${item.label}: FAILED: ${record.error}`);
    if (record === undefined) continue;
    if (record.runs.length > 1) {
      const digits = group === 'large' ? 2 : 0;
      perRun.push(`${item.label} ${record.runs.map((m) => rate(item, m).toFixed(digits)).join('/')}`);
    }
    if (record.runs.some((m) => m.stalls > 0)) {
      // What the client does when it is not stalled: the rate over the other files.
      const steady = median(
        record.runs.map((m) => (m.files - m.stalls) / Math.max(1e-9, m.seconds - m.stalledSeconds)),
      );
      stalls.push(
        `${item.label} ${record.runs.map((m) => String(m.stalls)).join('/')} (without them ${steady.toFixed(0)} files/s)`,
      );
    }
  }
  if (perRun.length > 0)
    notes.push(`each run, ${group === 'large' ? 'GB/s' : 'files/s'}: ${perRun.join('; ')}`);
  if (stalls.length > 0)
    notes.push(`stalled files (over ${STALL_SECONDS} s each), each run: ${stalls.join('; ')}`);
  if (client === 'curl') {
    notes.push(
      `CPU net of ${(curlOverhead * 1000).toFixed(1)} ms per process for start-up, login and QUIT (a --head session)`,
    );
  }
  return { kind: 'ok', metrics, notes };
}

function title(group: Group, options: ClientBenchOptions, server: BenchServer): string {
  const runs = `median of ${options.runs} run${options.runs === 1 ? '' : 's'}`;
  const sink = `${options.sink === 'file' ? 'downloads to files' : 'downloads dropped'}${options.tls ? ', explicit FTPS (PROT P)' : ''}`;
  return group === 'large'
    ? `Large file: ${formatBytes(options.size)} down and up, against ${server}, ${sink}, ${runs} (GB/s = 1e9 bytes/s; CPU = client user+system s per GiB)`
    : `Small files: ${options.files} x 4 KiB down, then up, in one session, passive, against ${server}, ${sink}, ${runs} (CPU = client ms per file)`;
}

async function checkSpace(dir: string, options: ClientBenchOptions): Promise<void> {
  const needed =
    (options.groups.includes('large') ? 2 * options.size : 0) +
    2 * options.files * SMALL_FILE_SIZE +
    SPARE_BYTES;
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < needed) {
    throw new Error(
      `${dir} has ${formatBytes(free)} free, the bench needs about ${formatBytes(needed)} (use --size, or TMPDIR)`,
    );
  }
}

async function prepareFiles(sources: Sources, options: ClientBenchOptions): Promise<BenchFiles> {
  const big = options.groups.includes('large') ? await sources.big(options.size) : undefined;
  const small = options.groups.includes('small')
    ? await sources.small(options.files, SMALL_FILE_SIZE)
    : undefined;
  return { ...(big === undefined ? {} : { big }), ...(small === undefined ? {} : { small }) };
}

function curlJob(server: RunningServer, remotes: readonly string[], tls: boolean): DriverJob {
  return {
    host: server.host,
    port: server.port,
    user: server.credentials.user,
    password: server.credentials.password,
    mode: 'passive',
    direction: 'download',
    discard: true,
    files: remotes.map((remote) => ({ remote, local: '/dev/null' })),
    tls,
  };
}

/**
 * One unmeasured pass over the files, so that neither the first client measured nor a fresh
 * ftpkitd's cold JIT and page cache decide a figure.
 */
async function warmUp(
  server: RunningServer,
  files: BenchFiles,
  scratch: string,
  tls: boolean,
): Promise<void> {
  const remotes = [
    ...(files.big === undefined ? [] : [BIG_FILE]),
    ...(files.small?.names.slice(0, WARM_UP_SMALL_FILES).map((name) => `${SMALL_DIR}/${name}`) ?? []),
  ];
  await runCurl(curlJob(server, remotes, tls), join(scratch, 'warm-up.conf'), 600_000);
}

async function runCases(
  options: ClientBenchOptions,
  context: BenchContext,
  problems: ReadonlyMap<ClientName, string | undefined>,
  janitor: Janitor,
  onGroupDone: (group: Group, records: Records) => void,
): Promise<boolean> {
  const records: Records = new Map();
  const runnable = options.clients.filter((client) => problems.get(client) === undefined);
  for (const group of options.groups) {
    for (const item of CASES.filter((c) => c.group === group)) {
      const perClient = new Map<ClientName, CaseRecord>();
      records.set(item.key, perClient);
      const clients = runnable.filter((client) => unsupported(client, item, options.tls) === undefined);
      for (const client of clients) perClient.set(client, { runs: [] });
      for (let attempt = 1; attempt <= options.runs; attempt++) {
        // Each run starts with another client, so that no client always follows the same one.
        const shift = (attempt - 1) % Math.max(1, clients.length);
        for (const client of [...clients.slice(shift), ...clients.slice(0, shift)]) {
          if (janitor.isInterrupted()) return false;
          const record = perClient.get(client);
          if (record === undefined || record.error !== undefined) continue;
          const prefix = `  [${item.label}] ${client} run ${attempt}/${options.runs}`;
          try {
            const m = await measureOnce(client, item, attempt, context);
            record.runs.push(m);
            const stalls = m.stalls > 0 ? `, ${m.stalls} stalled file${m.stalls === 1 ? '' : 's'}` : '';
            const user = `${((100 * m.userSeconds) / Math.max(m.cpuSeconds, m.userSeconds, 1e-9)).toFixed(0)}% user`;
            log(`${prefix}: ${describe(item, m)} (${user}, ${m.detail}${stalls})`);
          } catch (error) {
            record.error = errorText(error);
            log(`${prefix}: FAILED: ${record.error}`);
          }
        }
      }
    }
    onGroupDone(group, records);
  }
  return true;
}

async function main(): Promise<number> {
  let options: ClientBenchOptions | undefined;
  try {
    options = parseClientOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${CLIENT_USAGE}`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(CLIENT_USAGE);
    return 0;
  }
  const serverName: BenchServer =
    options.server ?? (serverProblem('vsftpd') === undefined ? 'vsftpd' : 'ftpkitd');
  const problem = serverProblem(serverName);
  if (problem !== undefined) {
    log(`bench: cannot use ${serverName}: ${problem}`);
    return 1;
  }
  const problems = new Map<ClientName, string | undefined>(
    options.clients.map((client) => [client, client === 'curl' ? curlProblem() : driverProblem(client)]),
  );
  const janitor = new Janitor();
  janitor.installSignalHandlers();
  try {
    const workspace = await makeWorkspace(janitor);
    await checkSpace(workspace, options);
    const size = options.groups.includes('large') ? `, large file ${formatBytes(options.size)}` : '';
    log(
      `bench: node ${process.version}, clients ${options.clients.join(', ')} against ${serverName}, groups ${options.groups.join(', ')}${size}`,
    );
    log(`bench: workspace ${workspace}`);
    for (const [client, reason] of problems)
      if (reason !== undefined) log(`bench: ${client} skipped: ${reason}`);
    const files = await prepareFiles(new Sources(workspace), options);
    const root = await makeRoot(workspace, 'client', files);
    const scratch = join(workspace, 'scratch');
    await mkdir(scratch);
    const certificate = options.tls ? await makeServerCertificate(workspace) : undefined;
    const server = await startServer(serverName, root, workspace, janitor, {
      accounts: new BenchAccounts(workspace, janitor),
      manyAccounts: 0,
      anonymous: false,
      connections: DEFAULT_CONNECTIONS,
      ...(certificate === undefined ? {} : { tls: certificate }),
    });
    let curlOverhead = 0;
    const outcomes = new Map<Group, Map<ClientName, Outcome>>();
    let finished: boolean;
    try {
      if (curlProblem() === undefined) {
        log('bench: warm-up (unmeasured curl pass over the files)');
        await warmUp(server, files, scratch, options.tls);
        if (options.clients.includes('curl')) {
          const existing = files.big === undefined ? `${SMALL_DIR}/${files.small?.names[0] ?? ''}` : BIG_FILE;
          curlOverhead = await curlOverheadCpu(curlJob(server, [existing], options.tls), existing, 5);
          log(`bench: curl start-up + login + QUIT: ${(curlOverhead * 1000).toFixed(1)} ms CPU`);
        }
      }
      const context: BenchContext = {
        server,
        root,
        scratch,
        files,
        curlOverheadCpu: curlOverhead,
        discard: options.sink === 'null',
        tls: options.tls,
      };
      finished = await runCases(options, context, problems, janitor, (group, records) => {
        const perClient = new Map<ClientName, Outcome>();
        for (const client of options.clients) {
          perClient.set(
            client,
            groupOutcome(group, client, records, problems.get(client), curlOverhead, options.tls),
          );
        }
        outcomes.set(group, perClient);
        process.stdout.write(
          `\n${formatTable(title(group, options, serverName), options.clients, perClient, 'ftpkit')}\n`,
        );
      });
    } finally {
      await server.stop();
    }
    if (!finished) return 130;
    process.stdout.write(`\n${formatSummary(checkClientTargets(outcomes))}\n`);
    return 0;
  } finally {
    await janitor.sweep();
  }
}

process.exitCode = await main();
