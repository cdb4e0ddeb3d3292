import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findCommand } from '../../test/helpers/peers.js';
import { run } from '../../test/helpers/process.js';
import { formatBytes, type BenchOptions } from '../options.js';
import { cpuSeconds } from '../memory.js';
import { metric, type Metric } from '../report.js';
import type { RunningServer } from '../servers.js';
import { pollUntil } from '../timeout.js';
import { BIG_FILE, sameContent, UPLOAD_DIR, warmPageCache } from '../workspace.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

interface Mode {
  readonly key: string;
  readonly label: string;
  readonly upload: boolean;
  readonly active: boolean;
}

export const LARGE_MODES: readonly Mode[] = [
  { key: 'retr-passive', label: 'RETR passive', upload: false, active: false },
  { key: 'retr-active', label: 'RETR active', upload: false, active: true },
  { key: 'stor-passive', label: 'STOR passive', upload: true, active: false },
  { key: 'stor-active', label: 'STOR active', upload: true, active: true },
];

// Slower than this and the run is broken, not slow; the timeout keeps a stall from hanging the bench.
const MIN_RATE_BYTES_PER_S = 10e6;

/**
 * Longer than this before the transfer, and curl waited on a timer of its own. Debian 12's curl
 * 7.88.1 reads a 229 reply that is already there when it first looks (a fast server's) and then
 * waits out its 200 ms connect timer before it opens the data connection; a 229 that comes a
 * moment later is read in its wait and the connection opens at once. Without the stall, login
 * (cached) and the commands up to the transfer take 2-8 ms.
 */
const CLIENT_STALL_S = 0.1;

function transferTimeoutMs(size: number): number {
  return Math.max(60_000, (size / MIN_RATE_BYTES_PER_S) * 1000);
}

/**
 * The server's CPU seconds so far, once it is back to its listening process alone: a vsftpd
 * session's time is counted in its listener only after curl's session has exited and been reaped.
 */
async function serverCpu(server: RunningServer): Promise<number> {
  const alone = async (): Promise<number[] | undefined> => {
    const pids = await server.processes();
    return pids.length === 1 ? pids : undefined;
  };
  return cpuSeconds(await pollUntil(alone, 10_000, `${server.name} session exit`, 20));
}

async function curlOnce(
  context: ScenarioContext,
  mode: Mode,
  attempt: number,
  source: string,
): Promise<{ rate: number; cpuPerGiB: number; stalled: boolean }> {
  const curl = findCommand('curl');
  if (curl === undefined) throw new Error('curl is not installed');
  const { server, options } = context;
  const base = `ftp://${server.host}:${server.port}/`;
  const target = `${UPLOAD_DIR}/stor-${mode.key}-${attempt}.bin`;
  const args = [
    '--silent',
    '--show-error',
    '--user',
    `${server.credentials.user}:${server.credentials.password}`,
    '--connect-timeout',
    '10',
    ...(mode.active ? ['--ftp-port', server.host] : []),
    '--write-out',
    '%{time_pretransfer} %{time_total} %{size_download} %{size_upload}',
    ...(mode.upload
      ? ['--upload-file', source, `${base}${target}`]
      : ['--output', '/dev/null', `${base}${BIG_FILE}`]),
  ];
  // Outside the server's root (the workspace holds every root), just before curl starts.
  if (mode.upload) await warmPageCache(dirname(context.root), options.size);
  const cpuBefore = await serverCpu(server);
  const result = await run(curl, args, { timeoutMs: transferTimeoutMs(options.size) });
  const cpu = (await serverCpu(server)) - cpuBefore;
  if (result.code !== 0) {
    throw new Error(
      `${mode.label}: curl exit ${String(result.code ?? result.signal)}: ${result.stderr.trim()}`,
    );
  }
  const [before = NaN, total = NaN, down, up] = result.stdout.trim().split(' ').map(Number);
  const bytes = mode.upload ? up : down;
  // From the end of the commands before it (RETR/STOR and its 150 included) to the 226.
  const time = total - before;
  if (bytes === undefined || !(time > 0)) {
    throw new Error(`${mode.label}: unreadable curl figures: ${result.stdout}`);
  }
  if (bytes !== options.size)
    throw new Error(`${mode.label}: moved ${bytes} bytes, expected ${options.size}`);
  if (mode.upload) {
    const stored = join(context.root, target);
    const intact = await sameContent(source, stored);
    // Deleted at once: a gibibyte of dirty page cache per run would skew the next server's figures.
    await rm(stored, { force: true });
    if (!intact) throw new Error(`${mode.label}: the stored file differs from the source`);
  }
  return {
    rate: options.size / time,
    cpuPerGiB: cpu / (options.size / 1024 ** 3),
    stalled: before > CLIENT_STALL_S,
  };
}

export const largeScenario: Scenario = {
  id: 'large',
  title: (options: BenchOptions) =>
    `1. Large files: ${formatBytes(options.size)} RETR and STOR, curl, EPSV/EPRT, median of ${options.runs} runs, the servers taking turns (GB/s = 1e9 bytes/s; server CPU = user + system of its processes per GiB)`,
  async sources(sources, options) {
    return { big: await sources.big(options.size) };
  },
  // Every server runs at once and each run is a turn, the servers taking turns: the machine's
  // pace drifts over minutes (pyftpdlib's median of 20 alternating downloads was 2.98 GB/s in one
  // batch and 3.64 in the next), and five runs of one server after another's five measured that
  // drift too. Kept running, as a server is: a fresh process per run would measure its start.
  turns: (options) => options.runs,
  // The first large transfer after the machine has idled is slow whichever server makes it
  // (pyftpdlib first: 0.94, then 1.91 and 2.54 GB/s); this one also holds the account's first
  // login, which the login scenario counts.
  async warmUp(context) {
    await curlOnce(context, LARGE_MODES[0] as Mode, 0, join(context.root, BIG_FILE));
  },
  timeoutMs: (options) => LARGE_MODES.length * transferTimeoutMs(options.size) + 30_000,
  async run(context): Promise<ScenarioResult> {
    const source = join(context.root, BIG_FILE);
    const metrics: Metric[] = [];
    const figures: string[] = [];
    let stalls = 0;
    for (const mode of LARGE_MODES) {
      const { rate, cpuPerGiB, stalled } = await curlOnce(context, mode, 1, source);
      if (stalled) stalls++;
      figures.push(`${mode.label} ${(rate / 1e9).toFixed(2)} GB/s, CPU ${cpuPerGiB.toFixed(2)} s/GiB`);
      metrics.push(metric(mode.key, mode.label, rate / 1e9, 'GB/s', 2, 'higher'));
      const cpu = metric(`${mode.key}-cpu`, `${mode.label} server CPU`, cpuPerGiB, 's/GiB', 2, 'lower');
      // vsftpd's transfer runs in a session process whose time never reaches the listener's
      // cutime (its two session processes do not all wait for each other): only the listener's
      // own tick or so showed, whatever the size. Left out rather than shown wrong.
      metrics.push(context.server.forks ? { ...cpu, text: 'not measured' } : cpu);
    }
    context.progress(figures.join('; '));
    const notes =
      stalls > 0
        ? [
            `curl waited over ${CLIENT_STALL_S * 1000} ms before the transfer in ${stalls} of ${LARGE_MODES.length} runs (not counted in the rate)`,
          ]
        : [];
    return { metrics, notes };
  },
};
