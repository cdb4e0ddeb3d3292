import { createServer } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCommand, isRoot, python3For } from '../test/helpers/peers.js';
import { startProcess, type ProcessHandle } from '../test/helpers/process.js';
import { systemAccountProblem, type BenchAccounts } from './accounts.js';
import { ControlConnection, type Credentials } from './control-client.js';
import type { Janitor } from './janitor.js';
import { processTree, sampleMemory, stillRunning, type MemorySample } from './memory.js';
import type { ServerName } from './options.js';
import { pollUntil, sleep } from './timeout.js';
import type { ServerCertificate } from './tls-certificate.js';
import { vsftpdConfig } from './vsftpd-config.js';

export const HOST = '127.0.0.1';
/** The anonymous login, where a scenario compares it with the password accounts. */
export const ANONYMOUS: Credentials = { user: 'anonymous', password: 'bench@example.com' };

const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;

export interface RunningServer {
  readonly name: ServerName;
  readonly host: string;
  readonly port: number;
  /** The password account every scenario logs in with. */
  readonly credentials: Credentials;
  /** Distinct password accounts, as many as the scenario asked for. */
  readonly accounts: readonly Credentials[];
  /** The process that listens; for vsftpd its session processes are its descendants. */
  readonly pid: number;
  /** Serves sessions in processes of their own (vsftpd), so its memory is the whole tree's. */
  readonly forks: boolean;
  /** Memory of everything serving clients: the Node process, or vsftpd's listener and sessions. */
  memory(): Promise<MemorySample>;
  /** Processes of the server right now (1 for the Node servers). */
  processes(): Promise<number[]>;
  /** What the server printed, for error reports. */
  output(): string;
  stop(): Promise<void>;
}

/** Why a server cannot run here, or undefined. */
export function serverProblem(name: ServerName): string | undefined {
  if (name === 'pyftpdlib') {
    return python3For('pyftpdlib') === undefined
      ? 'no python3 with pyftpdlib (Debian: apt-get install python3-pyftpdlib)'
      : undefined;
  }
  if (name !== 'vsftpd') return undefined;
  if (findCommand('vsftpd') === undefined) return 'vsftpd is not installed';
  if (!isRoot()) return 'vsftpd needs root (it chroots and drops privileges); run the bench as root';
  return systemAccountProblem();
}

const here = fileURLToPath(new URL('.', import.meta.url));
// build/bench/servers.js -> the repository's bin/ and the compiled ftp-srv wrapper next to this file.
const FTPKITD_BIN = join(here, '..', '..', 'bin', 'ftpkitd.js');
const FTP_SRV_SCRIPT = join(here, 'ftp-srv-server.js');
// Python is not compiled: the launcher stays in the source tree's bench/.
const PYFTPDLIB_SCRIPT = join(here, '..', '..', 'bench', 'pyftpdlib-server.py');

function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  }
}

/** SIGTERM, then SIGKILL for those still running after the grace period; waits until all are gone. */
async function stopProcesses(pids: readonly number[]): Promise<void> {
  if (pids.length === 0) return;
  signal(pids, 'SIGTERM');
  const gone = async (): Promise<true | undefined> =>
    (await stillRunning(pids)).length === 0 ? true : undefined;
  try {
    await pollUntil(gone, STOP_GRACE_MS, 'session processes exit', 50);
  } catch {
    signal(await stillRunning(pids), 'SIGKILL');
    await pollUntil(gone, 5_000, 'session processes exit after SIGKILL', 50);
  }
}

function wrap(
  name: ServerName,
  proc: ProcessHandle,
  port: number,
  setup: ServerSetup,
  janitor: Janitor,
): RunningServer {
  const release = janitor.add(`stop ${name}`, async () => {
    // vsftpd's session processes call setsid(), so the signal to the listener's process group
    // misses them: they are listed first and stopped one by one.
    const sessions = name === 'vsftpd' ? (await processTree(proc.pid)).filter((pid) => pid !== proc.pid) : [];
    await proc.stop({ graceMs: STOP_GRACE_MS });
    await stopProcesses(sessions);
  });
  let exit = '';
  void proc.exited.then((info) => {
    exit = `\n(the server process exited: code ${String(info.code)}, signal ${String(info.signal)})`;
  });
  const processes = (): Promise<number[]> =>
    name === 'vsftpd' ? processTree(proc.pid) : Promise.resolve([proc.pid]);
  return {
    name,
    host: HOST,
    port,
    credentials: setup.accounts.main,
    accounts: setup.accounts.many.slice(0, setup.manyAccounts),
    pid: proc.pid,
    forks: name === 'vsftpd',
    processes,
    memory: async () => sampleMemory(await processes()),
    output: () => `stdout: ${proc.stdout().slice(-2000)}\nstderr: ${proc.stderr().slice(-2000)}${exit}`,
    stop: release,
  };
}

async function startFtpkitd(
  name: 'ftpkitd' | 'ftpkitd-buffers',
  root: string,
  setup: ServerSetup,
  janitor: Janitor,
): Promise<RunningServer> {
  const usersFile = await setup.accounts.ftpkitdUsers(setup.manyAccounts);
  // Run the bin itself, as the installed `ftpkitd` command runs: its shebang carries the V8 flags.
  // Its defaults stand (login delay, bans, timeouts, credential cache) but for the connection
  // limits, which every server gets lifted alike.
  const proc = await startProcess(FTPKITD_BIN, [
    '--users',
    usersFile,
    ...(setup.anonymous ? ['--anonymous'] : []),
    '--max-connections',
    String(setup.connections),
    '--max-per-ip',
    String(setup.connections),
    '--log-level',
    'warn',
    '--port',
    '0',
    '--root',
    root,
    // Its TLS defaults stand too: TLS required, data connections must resume the control session.
    ...(setup.tls === undefined ? [] : ['--tls-cert', setup.tls.certFile, '--tls-key', setup.tls.keyFile]),
    ...(name === 'ftpkitd-buffers' ? ['--no-sendfile'] : []),
  ]);
  try {
    const match = await proc.waitForLine(/on ftp:\/\/127\.0\.0\.1:(\d+)\//, { timeoutMs: START_TIMEOUT_MS });
    return wrap(name, proc, Number(match[1]), setup, janitor);
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

async function startFtpSrv(root: string, setup: ServerSetup, janitor: Janitor): Promise<RunningServer> {
  const table = await setup.accounts.plainTable(setup.manyAccounts);
  const proc = await startProcess(process.execPath, [
    FTP_SRV_SCRIPT,
    '--root',
    root,
    '--accounts',
    table,
    ...(setup.anonymous ? ['--anonymous'] : []),
    '--port',
    '0',
  ]);
  try {
    const match = await proc.waitForLine(/^FTP-SRV-PORT (\d+)$/, {
      stream: 'stdout',
      timeoutMs: START_TIMEOUT_MS,
    });
    return wrap('ftp-srv', proc, Number(match[1]), setup, janitor);
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

async function startPyftpdlib(root: string, setup: ServerSetup, janitor: Janitor): Promise<RunningServer> {
  const python = python3For('pyftpdlib');
  if (python === undefined) throw new Error('no python3 with pyftpdlib');
  const table = await setup.accounts.plainTable(setup.manyAccounts);
  const proc = await startProcess(python, [
    PYFTPDLIB_SCRIPT,
    '--root',
    root,
    '--accounts',
    table,
    ...(setup.anonymous ? ['--anonymous'] : []),
    '--max',
    String(setup.connections),
  ]);
  try {
    const match = await proc.waitForLine(/^PYFTPDLIB-PORT (\d+)$/, {
      stream: 'stdout',
      timeoutMs: START_TIMEOUT_MS,
    });
    return wrap('pyftpdlib', proc, Number(match[1]), setup, janitor);
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

async function greets(port: number): Promise<boolean> {
  try {
    const control = await ControlConnection.open(HOST, port, 1_000);
    control.destroy();
    return true;
  } catch {
    return false;
  }
}

/** vsftpd cannot listen on port 0: a free port is picked, and another one tried if it was taken meanwhile. */
async function startVsftpd(
  root: string,
  workDir: string,
  setup: ServerSetup,
  janitor: Janitor,
): Promise<RunningServer> {
  const vsftpd = findCommand('vsftpd');
  if (vsftpd === undefined) throw new Error('vsftpd is not installed');
  await setup.accounts.systemAccounts(setup.manyAccounts);
  const { connections, tls, anonymous } = setup;
  const confDir = join(workDir, `vsftpd-${String(Date.now())}`);
  const emptyDir = join(confDir, 'empty');
  await mkdir(emptyDir, { recursive: true, mode: 0o755 });
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const confFile = join(confDir, `vsftpd-${attempt}.conf`);
    await writeFile(
      confFile,
      vsftpdConfig({ port, root, emptyDir, connections, anonymous, ...(tls === undefined ? {} : { tls }) }),
      { mode: 0o600 },
    );
    const proc = await startProcess(vsftpd, [confFile]);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let up = false;
    while (!up && !proc.hasExited() && Date.now() < deadline) {
      up = await greets(port);
      if (!up) await sleep(25);
    }
    if (up) {
      const server = wrap('vsftpd', proc, port, setup, janitor);
      // The probe's session process must be gone before anyone takes a baseline.
      await pollUntil(
        async () => ((await server.processes()).length === 1 ? true : undefined),
        5_000,
        'vsftpd probe session exit',
      );
      return server;
    }
    await proc.stop();
    const text = `${proc.stdout()}${proc.stderr()}`.trim();
    failures.push(`attempt ${attempt} on port ${port}: ${text === '' ? 'no greeting' : text}`);
    if (!/bind|in use/i.test(text)) break;
  }
  throw new Error(`vsftpd did not start:\n${failures.join('\n')}`);
}

/** Connections at once each server admits, in total and per address, unless a scenario needs more. */
export const DEFAULT_CONNECTIONS = 2000;

/** How a server is started for one scenario. */
export interface ServerSetup {
  /** The run's password accounts; the server knows the main one and `manyAccounts` others. */
  readonly accounts: BenchAccounts;
  readonly manyAccounts: number;
  /** "anonymous" may log in too (read-only where the server allows it). */
  readonly anonymous: boolean;
  /** Connections at once it admits, in total and per address (ftp-srv has no limit). */
  readonly connections: number;
  /** Explicit FTPS with this certificate. */
  readonly tls?: ServerCertificate;
}

/**
 * Starts a fresh server process serving `root` on 127.0.0.1 with the run's password accounts,
 * registered with the janitor.
 */
export async function startServer(
  name: ServerName,
  root: string,
  workDir: string,
  janitor: Janitor,
  setup: ServerSetup,
): Promise<RunningServer> {
  switch (name) {
    case 'ftpkitd':
    case 'ftpkitd-buffers':
      return startFtpkitd(name, root, setup, janitor);
    case 'ftp-srv':
      if (setup.tls !== undefined) throw new Error('the bench runs ftp-srv without TLS');
      return startFtpSrv(root, setup, janitor);
    case 'pyftpdlib':
      if (setup.tls !== undefined) throw new Error('the bench runs pyftpdlib without TLS');
      return startPyftpdlib(root, setup, janitor);
    case 'vsftpd':
      return startVsftpd(root, workDir, setup, janitor);
  }
}
