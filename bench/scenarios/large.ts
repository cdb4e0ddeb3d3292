import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findCommand } from '../../test/helpers/peers.js';
import { run } from '../../test/helpers/process.js';
import { formatBytes, type BenchOptions } from '../options.js';
import { metric, type Metric } from '../report.js';
import { median } from '../stats.js';
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

function transferTimeoutMs(size: number): number {
  return Math.max(60_000, (size / MIN_RATE_BYTES_PER_S) * 1000);
}

async function curlOnce(
  context: ScenarioContext,
  mode: Mode,
  attempt: number,
  source: string,
): Promise<number> {
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
    '%{time_total} %{size_download} %{size_upload}',
    ...(mode.upload
      ? ['--upload-file', source, `${base}${target}`]
      : ['--output', '/dev/null', `${base}${BIG_FILE}`]),
  ];
  // Outside the server's root (the workspace holds every root), just before curl starts.
  if (mode.upload) await warmPageCache(dirname(context.root), options.size);
  const result = await run(curl, args, { timeoutMs: transferTimeoutMs(options.size) });
  if (result.code !== 0) {
    throw new Error(
      `${mode.label}: curl exit ${String(result.code ?? result.signal)}: ${result.stderr.trim()}`,
    );
  }
  const [time, down, up] = result.stdout.trim().split(' ').map(Number);
  const bytes = mode.upload ? up : down;
  if (time === undefined || bytes === undefined || !(time > 0)) {
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
  return options.size / time;
}

export const largeScenario: Scenario = {
  id: 'large',
  title: (options: BenchOptions) =>
    `1. Large files: ${formatBytes(options.size)} RETR and STOR, curl, EPSV/EPRT, median of ${options.runs} (GB/s = 1e9 bytes/s)`,
  async sources(sources, options) {
    return { big: await sources.big(options.size) };
  },
  timeoutMs: (options) => LARGE_MODES.length * options.runs * transferTimeoutMs(options.size) + 30_000,
  async run(context): Promise<ScenarioResult> {
    const source = join(context.root, BIG_FILE);
    const metrics: Metric[] = [];
    const runs: string[] = [];
    for (const mode of LARGE_MODES) {
      const rates: number[] = [];
      for (let attempt = 1; attempt <= context.options.runs; attempt++) {
        rates.push(await curlOnce(context, mode, attempt, source));
      }
      const gbps = median(rates) / 1e9;
      context.progress(`${mode.label}: ${rates.map((r) => (r / 1e9).toFixed(2)).join(', ')} GB/s`);
      metrics.push(metric(mode.key, mode.label, gbps, 'GB/s', 2, 'higher'));
      runs.push(`${mode.label} ${rates.map((r) => (r / 1e9).toFixed(2)).join('/')}`);
    }
    return { metrics, notes: context.options.runs > 1 ? [`each run, GB/s: ${runs.join('; ')}`] : [] };
  },
};
