import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { findCommand } from '../../test/helpers/peers.js';
import { run } from '../../test/helpers/process.js';
import { STALL_SECONDS, type DriverJob } from './job.js';

/**
 * curl as a bench client. It is not a Node program, so its CPU comes from the shell that runs it:
 * bash's `times` prints the user and system time of its finished children. One invocation takes
 * every file of a job (a --config file of url/output or upload-file/url pairs), so the control
 * connection is reused as it is by the Node drivers' one session.
 */

export interface CurlRun {
  /** Wall seconds of the transfers: curl's own timers, login excluded (see transferSeconds). */
  readonly seconds: number;
  /** CPU seconds of the whole curl process, start-up and login included. */
  readonly cpuSeconds: number;
  /** The user-mode part of cpuSeconds. */
  readonly userSeconds: number;
  /** TCP connections curl opened: the control connection and, in passive mode, one per file. */
  readonly connections: number;
  /** Bytes downloaded, all transfers together. */
  readonly bytes: number;
  /** Files that took longer than STALL_SECONDS each (counted for jobs of more than one file). */
  readonly stalls: number;
  /** The wall seconds those files took, all together. */
  readonly stalledSeconds: number;
}

const WRITE_OUT = 'W %{time_pretransfer} %{time_total} %{num_connects} %{size_download}\\n';
// `times` goes after a marker so that nothing curl prints can be mistaken for it.
const SCRIPT = '"$@"; rc=$?; echo; echo "@@TIMES@@"; times; exit $rc';

/**
 * curl 7.87 and 7.88 (Debian 12's) lost the TLS filter on active-mode data connections and hang on
 * every one, vsftpd's too (curl issue #10666, fixed in 8.0).
 */
export function curlActiveTlsProblem(): string | undefined {
  const version = /^curl (\d+)\.(\d+)/.exec(curlVersionLine())?.slice(1).map(Number);
  if (version?.[0] === 7 && (version[1] === 87 || version[1] === 88))
    return 'curl 7.87/7.88 hang on active FTPS';
  return undefined;
}

let versionLine: string | undefined;

function curlVersionLine(): string {
  const curl = findCommand('curl');
  versionLine ??=
    curl === undefined
      ? ''
      : (spawnSync(curl, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '');
  return versionLine;
}

export function curlProblem(): string | undefined {
  if (findCommand('curl') === undefined) return 'curl is not installed';
  if (findCommand('bash') === undefined) return "bash is not installed (it measures curl's CPU)";
  return undefined;
}

function quote(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function baseUrl(job: DriverJob): string {
  return `ftp://${job.host}:${job.port}/`;
}

function commonArgs(job: DriverJob): string[] {
  return [
    '--silent',
    '--show-error',
    '--user',
    `${job.user}:${job.password}`,
    '--connect-timeout',
    '10',
    // EPRT with the loopback address; curl's default is passive (EPSV, then PASV).
    ...(job.mode === 'active' ? ['--ftp-port', job.host] : []),
    // The server's certificate is a throw-away one: the work is measured, not the trust.
    ...(job.tls ? ['--ssl-reqd', '--insecure'] : []),
  ];
}

/** "0m1.234s" -> 1.234 */
function shellSeconds(text: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  if (match === null) throw new Error(`unreadable time from bash: ${text}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

interface Invocation {
  readonly lines: { pretransfer: number; total: number; connects: number; bytes: number }[];
  readonly cpuSeconds: number;
  readonly userSeconds: number;
}

async function invoke(args: readonly string[], timeoutMs: number): Promise<Invocation> {
  const bash = findCommand('bash');
  const curl = findCommand('curl');
  if (bash === undefined || curl === undefined) throw new Error(curlProblem() ?? 'no curl');
  const result = await run(bash, ['-c', SCRIPT, 'curl-bench', curl, ...args], { timeoutMs });
  if (result.code !== 0) {
    throw new Error(
      `curl exit ${String(result.code ?? result.signal)}: ${result.stderr.trim().slice(-1000)}`,
    );
  }
  const [before = '', after = ''] = result.stdout.split('@@TIMES@@');
  // bash prints the shell's own times, then its children's: the second line is curl.
  const children = after.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
  const [user = '', system = ''] = children;
  const lines = before
    .split('\n')
    .filter((line) => line.startsWith('W '))
    .map((line) => {
      const [pretransfer = Number.NaN, total = Number.NaN, connects = Number.NaN, bytes = Number.NaN] = line
        .slice(2)
        .split(' ')
        .map(Number);
      return { pretransfer, total, connects, bytes };
    });
  return { lines, cpuSeconds: shellSeconds(user) + shellSeconds(system), userSeconds: shellSeconds(user) };
}

/**
 * The wall time of the transfers alone: the sum of every transfer's time, minus the first one's
 * time to "pretransfer" (connect, greeting, login, and the first file's setup commands).
 */
function transferSeconds(lines: Invocation['lines']): number {
  const first = lines[0];
  if (first === undefined) return Number.NaN;
  return lines.reduce((sum, line) => sum + line.total, 0) - first.pretransfer;
}

export async function runCurl(job: DriverJob, configFile: string, timeoutMs: number): Promise<CurlRun> {
  const base = baseUrl(job);
  const config = job.files.map((file) =>
    job.direction === 'download'
      ? `url = ${quote(base + file.remote)}\noutput = ${quote(job.discard ? '/dev/null' : file.local)}\n`
      : `upload-file = ${quote(file.local)}\nurl = ${quote(base + file.remote)}\n`,
  );
  await writeFile(configFile, config.join(''), { mode: 0o600 });
  const { lines, cpuSeconds, userSeconds } = await invoke(
    [...commonArgs(job), '--write-out', WRITE_OUT, '--config', configFile],
    timeoutMs,
  );
  if (lines.length !== job.files.length) {
    throw new Error(`curl reported ${lines.length} transfers, expected ${job.files.length}`);
  }
  const seconds = transferSeconds(lines);
  const stalled = lines.length > 1 ? lines.filter((line) => line.total > STALL_SECONDS) : [];
  if (!(seconds > 0)) throw new Error(`unreadable curl timings: ${JSON.stringify(lines.slice(0, 3))}`);
  return {
    seconds,
    cpuSeconds,
    userSeconds,
    connections: lines.reduce((sum, line) => sum + line.connects, 0),
    bytes: lines.reduce((sum, line) => sum + line.bytes, 0),
    stalls: stalled.length,
    stalledSeconds: stalled.reduce((sum, line) => sum + line.total, 0),
  };
}

/**
 * The CPU a curl run costs before and after its transfers: process start-up, connect, login and
 * QUIT, measured as a session that asks for the size of the `existing` remote file and nothing
 * else. The least of `runs` samples: it is a floor, and a busy machine only ever adds to it.
 * Subtracted from curl's figures so that, like the Node drivers', they count the transfers only.
 */
export async function curlOverheadCpu(job: DriverJob, existing: string, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { cpuSeconds } = await invoke(
      [...commonArgs(job), '--head', '--output', '/dev/null', baseUrl(job) + existing],
      30_000,
    );
    samples.push(cpuSeconds);
  }
  return Math.min(...samples);
}
