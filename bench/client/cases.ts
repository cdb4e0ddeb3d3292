import { existsSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../test/helpers/process.js';
import type { RunningServer } from '../servers.js';
import { BIG_FILE, sameContent, SMALL_DIR, UPLOAD_DIR } from '../workspace.js';
import { runCurl, curlActiveTlsProblem } from './curl.js';
import {
  parseResult,
  type ClientName,
  type Direction,
  type DriverJob,
  type FilePair,
  type Mode,
} from './job.js';
import type { Group } from './options.js';

/** One row pair of the tables: what is moved, which way, in which mode. */
export interface Case {
  readonly key: string;
  readonly label: string;
  readonly group: Group;
  readonly direction: Direction;
  readonly mode: Mode;
}

export const CASES: readonly Case[] = [
  { key: 'down-passive', label: 'download passive', group: 'large', direction: 'download', mode: 'passive' },
  { key: 'up-passive', label: 'upload passive', group: 'large', direction: 'upload', mode: 'passive' },
  { key: 'down-active', label: 'download active', group: 'large', direction: 'download', mode: 'active' },
  { key: 'up-active', label: 'upload active', group: 'large', direction: 'upload', mode: 'active' },
  { key: 'small-down', label: 'small down', group: 'small', direction: 'download', mode: 'passive' },
  { key: 'small-up', label: 'small up', group: 'small', direction: 'upload', mode: 'passive' },
];

export interface BenchFiles {
  readonly big?: { readonly path: string; readonly size: number };
  readonly small?: { readonly dir: string; readonly names: readonly string[]; readonly size: number };
}

export interface BenchContext {
  readonly server: RunningServer;
  /** The local directory the server serves as "/". */
  readonly root: string;
  /** Local scratch space for downloads and curl's config files. */
  readonly scratch: string;
  readonly files: BenchFiles;
  /** CPU seconds a curl process spends outside its transfers (see curlOverheadCpu). */
  readonly curlOverheadCpu: number;
  /** Downloads are counted and dropped instead of written to files (--sink null). */
  readonly discard: boolean;
  /** Every client over explicit FTPS (--tls). */
  readonly tls: boolean;
}

export interface Measurement {
  /** Wall seconds of the transfers alone. */
  readonly seconds: number;
  /** Client CPU seconds (user + system) over the transfers. */
  readonly cpuSeconds: number;
  /** The user-mode part of cpuSeconds (for curl: of its whole run, start-up included). */
  readonly userSeconds: number;
  readonly bytes: number;
  readonly files: number;
  /** Files that took more than STALL_SECONDS each. */
  readonly stalls: number;
  /** The wall seconds those files took, all together. */
  readonly stalledSeconds: number;
  /** What only this client reports (curl's connection count, a driver's login time). */
  readonly detail: string;
}

/** Why a client cannot do a case at all (its cell shows this instead of a figure), or undefined. */
export function unsupported(client: ClientName, item: Case, tls: boolean): string | undefined {
  if (client === 'basic-ftp' && item.mode === 'active') return 'no active mode';
  if (client === 'curl' && item.mode === 'active' && tls) return curlActiveTlsProblem();
  return undefined;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const DRIVERS: Partial<Record<ClientName, string>> = {
  ftpkit: join(here, 'ftpkit-driver.js'),
  'basic-ftp': join(here, 'basic-ftp-driver.js'),
};
// build/bench/client/ -> build/src/client/index.js, which the ftpkit driver imports.
const FTPKIT_CLIENT = join(here, '..', '..', 'src', 'client', 'index.js');

/** Why a client cannot run here at all, or undefined. */
export function driverProblem(client: ClientName): string | undefined {
  if (client === 'ftpkit' && !existsSync(FTPKIT_CLIENT)) {
    return `the ftpkit client is not built (${FTPKIT_CLIENT} is missing)`;
  }
  return undefined;
}

// Slower than this and the run is broken, not slow; the timeout keeps a stall from hanging the bench.
const MIN_RATE_BYTES_PER_S = 10e6;
const SMALL_TIMEOUT_MS = 600_000;

function timeoutMs(item: Case, files: BenchFiles): number {
  if (item.group === 'small') return SMALL_TIMEOUT_MS;
  return Math.max(60_000, ((files.big?.size ?? 0) / MIN_RATE_BYTES_PER_S) * 1000);
}

interface Plan {
  readonly pairs: FilePair[];
  /** Local copies of the sources, pairwise with `pairs`, to check the result against. */
  readonly sources: string[];
  /**
   * Where each transferred file ends up on the local disk (downloads) or in the server root;
   * empty when downloads are discarded (then only their byte count is checked).
   */
  readonly results: string[];
  /** Removed after the run: the bytes of one run must not sit in the page cache of the next. */
  readonly leftovers: string[];
}

async function plan(client: ClientName, item: Case, attempt: number, context: BenchContext): Promise<Plan> {
  const tag = `${client}-${item.key}-${attempt}`;
  const { big, small } = context.files;
  if (item.group === 'large') {
    if (big === undefined) throw new Error('no large file was prepared');
    if (item.direction === 'download') {
      const local = join(context.scratch, `${tag}.bin`);
      return {
        pairs: [{ remote: BIG_FILE, local }],
        sources: [big.path],
        results: context.discard ? [] : [local],
        leftovers: [local],
      };
    }
    const remote = `${UPLOAD_DIR}/${tag}.bin`;
    const stored = join(context.root, remote);
    return {
      pairs: [{ remote, local: big.path }],
      sources: [big.path],
      results: [stored],
      leftovers: [stored],
    };
  }
  if (small === undefined) throw new Error('no small files were prepared');
  const sources = small.names.map((name) => join(small.dir, name));
  if (item.direction === 'download') {
    const dir = join(context.scratch, tag);
    await mkdir(dir);
    const locals = small.names.map((name) => join(dir, name));
    const pairs = small.names.map((name, i) => ({ remote: `${SMALL_DIR}/${name}`, local: locals[i] ?? '' }));
    return { pairs, sources, results: context.discard ? [] : locals, leftovers: [dir] };
  }
  // Made here rather than by the client, so that no client's MKD is in its figures; world-writable
  // because vsftpd's sessions write into it as the bench's system account.
  const remoteDir = `${UPLOAD_DIR}/${tag}`;
  const dir = join(context.root, remoteDir);
  await mkdir(dir);
  await chmod(dir, 0o777);
  const pairs = small.names.map((name, i) => ({ remote: `${remoteDir}/${name}`, local: sources[i] ?? '' }));
  return { pairs, sources, results: small.names.map((name) => join(dir, name)), leftovers: [dir] };
}

async function verify(item: Case, work: Plan): Promise<void> {
  for (const [i, result] of work.results.entries()) {
    const source = work.sources[i] ?? '';
    if (!existsSync(result)) throw new Error(`${item.label}: ${result} was not written`);
    if (!(await sameContent(source, result)))
      throw new Error(`${item.label}: ${result} differs from ${source}`);
  }
}

interface Figures {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly userSeconds: number;
  /** Bytes received by discarding sinks. */
  readonly bytes: number;
  readonly stalls: number;
  readonly stalledSeconds: number;
  readonly detail: string;
}

async function runNodeDriver(client: ClientName, job: DriverJob, limitMs: number): Promise<Figures> {
  const script = DRIVERS[client];
  if (script === undefined) throw new Error(`no driver for ${client}`);
  const result = await run(process.execPath, [script], {
    input: `${JSON.stringify(job)}\n`,
    timeoutMs: limitMs,
  });
  if (result.code !== 0) {
    const reason = result.stderr.trim().split('\n').slice(0, 6).join(' / ');
    throw new Error(`${client} driver exit ${String(result.code ?? result.signal)}: ${reason}`);
  }
  const parsed = parseResult(result.stdout);
  return { ...parsed, detail: `login ${(parsed.loginSeconds * 1000).toFixed(1)} ms` };
}

/** One client doing one case once: the files moved, checked and removed again. */
export async function measureOnce(
  client: ClientName,
  item: Case,
  attempt: number,
  context: BenchContext,
): Promise<Measurement> {
  const work = await plan(client, item, attempt, context);
  try {
    const job: DriverJob = {
      host: context.server.host,
      port: context.server.port,
      user: context.server.credentials.user,
      password: context.server.credentials.password,
      mode: item.mode,
      direction: item.direction,
      discard: context.discard,
      files: work.pairs,
      tls: context.tls,
    };
    const limitMs = timeoutMs(item, context.files);
    let figures: Figures;
    if (client === 'curl') {
      const config = join(context.scratch, `curl-${item.key}-${attempt}.conf`);
      work.leftovers.push(config);
      const curl = await runCurl(job, config, limitMs);
      figures = {
        seconds: curl.seconds,
        cpuSeconds: Math.max(0, curl.cpuSeconds - context.curlOverheadCpu),
        userSeconds: curl.userSeconds,
        bytes: curl.bytes,
        stalls: curl.stalls,
        stalledSeconds: curl.stalledSeconds,
        detail: `${curl.connections} TCP connection${curl.connections === 1 ? '' : 's'}`,
      };
    } else {
      figures = await runNodeDriver(client, job, limitMs);
    }
    const bytes =
      item.group === 'large'
        ? (context.files.big?.size ?? 0)
        : work.pairs.length * (context.files.small?.size ?? 0);
    if (context.discard && item.direction === 'download' && figures.bytes !== bytes) {
      throw new Error(`${item.label}: ${figures.bytes} bytes arrived, expected ${bytes}`);
    }
    await verify(item, work);
    return { ...figures, bytes, files: work.pairs.length };
  } finally {
    for (const path of work.leftovers) await rm(path, { recursive: true, force: true });
  }
}
