import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, Server, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FtpSrv } from 'ftp-srv';
import { findCommand, python3For } from './peers.js';
import { startProcess, type ProcessHandle } from './process.js';
import { makeTempDir } from './temp-dir.js';

export type LoopbackHost = '127.0.0.1' | '::1';

/** What a test needs to point a client at a running server. */
export interface PeerServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The local directory the FTP user sees as `/`. */
  readonly root: string;
  /** The server's output or log so far, for assertion messages. */
  log(): Promise<string>;
  /** Stops the server and everything it started; safe to call twice. */
  stop(): Promise<void>;
}

/** FTPS for a peer server: explicit (AUTH TLS on the FTP port) or implicit (TLS from the first byte). */
export interface PeerTls {
  mode: 'explicit' | 'implicit';
  certFile: string;
  keyFile: string;
}

export interface PeerServerOptions {
  root: string;
  host?: LoopbackHost;
  /** Serve FTPS only: TLS required for the login and for every data connection. */
  tls?: PeerTls;
  /** How long startup may take. Default 10 s. */
  startTimeoutMs?: number;
}

function randomPassword(): string {
  // Characters that need quoting in no client's syntax, so drivers are exercised on real secrets
  // without the test depending on each client's escaping rules.
  return randomBytes(12).toString('hex');
}

// Passive ranges are drawn below Linux's ephemeral range (32768+) so that they do not collide with
// the port-0 sockets of the tests; each server takes a random window and retries busy ports.
function pasvWindow(size = 200): { min: number; max: number } {
  const min = 20_000 + Math.floor(Math.random() * (12_000 - size));
  return { min, max: min + size - 1 };
}

// ---------------------------------------------------------------------------------------------------
// pyftpdlib

const PYFTPDLIB_SCRIPT = String.raw`
import json, logging, os, sys, threading
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.log import config_logging
from pyftpdlib.servers import FTPServer

# The job arrives on stdin, keeping the password out of the process list.
cfg = json.loads(sys.stdin.readline())

def exit_on_eof():
    # The harness holds stdin open for our whole life: EOF means it stopped us or died, and a test
    # server must never outlive the test run.
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)

authorizer = DummyAuthorizer()
authorizer.add_user(cfg['user'], cfg['password'], cfg['root'], perm=cfg['perm'])

tls = cfg.get('tls')
if tls:
    # Explicit FTPS only (pyftpdlib has no implicit mode), required for the login and the data.
    from pyftpdlib.handlers import TLS_FTPHandler as Base
else:
    Base = FTPHandler

class Handler(Base):
    pass

if tls:
    Handler.certfile = tls['certFile']
    Handler.keyfile = tls['keyFile']
    Handler.tls_control_required = True
    Handler.tls_data_required = True

Handler.authorizer = authorizer
Handler.banner = 'ftpkit harness pyftpdlib ready'
Handler.timeout = 60
config_logging(level=logging.DEBUG if cfg['debug'] else logging.INFO)
server = FTPServer((cfg['host'], 0), Handler)
threading.Thread(target=exit_on_eof, daemon=True).start()
print('FTPKIT-PORT %d' % server.address[1], flush=True)
server.serve_forever(handle_exit=False)
`;

export interface PyftpdlibOptions extends PeerServerOptions {
  /** Full permissions ('elradfmwMT') when true (the default), read-only ('elr') when false. */
  writable?: boolean;
  /** Log every command and reply (pyftpdlib DEBUG). */
  debug?: boolean;
}

export interface PyftpdlibServer extends PeerServer {
  /** The python process: mark() and waitForLine() see its log (commands too, with debug). */
  readonly process: ProcessHandle;
}

export async function startPyftpdlib(options: PyftpdlibOptions): Promise<PyftpdlibServer> {
  const python = python3For('pyftpdlib');
  if (python === undefined) throw new Error('no python3 with pyftpdlib (Debian: python3-pyftpdlib)');
  if (options.tls !== undefined && python3For('OpenSSL') !== python) {
    throw new Error(
      `${python} has pyftpdlib but not pyOpenSSL, which its FTPS needs (Debian: python3-openssl)`,
    );
  }
  if (options.tls?.mode === 'implicit') throw new Error('pyftpdlib has no implicit FTPS');
  const host = options.host ?? '127.0.0.1';
  const user = 'ftpkit';
  const password = randomPassword();
  const job = {
    host,
    user,
    password,
    root: options.root,
    perm: options.writable === false ? 'elr' : 'elradfmwMT',
    debug: options.debug === true,
    tls: options.tls ?? null,
  };
  const proc = await startProcess(python, ['-c', PYFTPDLIB_SCRIPT], {
    input: `${JSON.stringify(job)}\n`,
    env: { PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' },
  });
  try {
    const match = await proc.waitForLine(/^FTPKIT-PORT (\d+)$/, {
      stream: 'stdout',
      timeoutMs: options.startTimeoutMs ?? 10_000,
    });
    return {
      ...processServer(proc, { host, port: Number(match[1]), user, password, root: options.root }),
      process: proc,
    };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

function processServer(
  proc: ProcessHandle,
  fields: { host: string; port: number; user: string; password: string; root: string },
  logFile?: string,
): PeerServer {
  return {
    ...fields,
    async log(): Promise<string> {
      const own = `stdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`;
      if (logFile === undefined) return own;
      const file = await readFile(logFile, 'utf8').catch((error: unknown) => `(no log: ${String(error)})`);
      return `${own}\nlog file:\n${file}`;
    },
    stop: () => proc.stop(),
  };
}

// ---------------------------------------------------------------------------------------------------
// vsftpd

export interface VsftpdServer extends PeerServer {
  /**
   * The one directory (relative to the FTP root) where the anonymous user may upload, create
   * directories, delete and rename. vsftpd refuses to serve a root the FTP user can write to, so
   * the root itself stays read-only: seed downloads anywhere, do writes under this directory.
   */
  readonly writableDir: string;
}

async function freePort(host: LoopbackHost): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/**
 * Reads the greeting (over TLS for implicit FTPS, trusting any certificate); true when it is ours,
 * not another program's that grabbed the port meanwhile.
 */
async function greets(host: string, port: number, token: string, tls = false): Promise<boolean> {
  // The harness only checks who answers; the tests verify certificates themselves.
  const socket = tls
    ? tlsConnect({ host, port, rejectUnauthorized: false })
    : new Socket().connect(port, host);
  socket.setTimeout(1_000);
  try {
    return await new Promise<boolean>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('\n')) resolve(text.startsWith('220') && text.includes(token));
      });
      const no = (): void => {
        resolve(false);
      };
      socket.once('error', no);
      socket.once('timeout', no);
      socket.once('end', no);
    });
  } finally {
    socket.destroy();
  }
}

/**
 * FTPS as strict as vsftpd gets: TLS for every login and every data connection, each data
 * connection resuming the control connection's session. The force_local_* lines are for local
 * users, which this harness does not enable; the anonymous user gets the same rules.
 */
function vsftpdTlsConfig(tls: PeerTls | undefined): string[] {
  if (tls === undefined) return ['ssl_enable=NO'];
  return [
    'ssl_enable=YES',
    `implicit_ssl=${tls.mode === 'implicit' ? 'YES' : 'NO'}`,
    `rsa_cert_file=${tls.certFile}`,
    `rsa_private_key_file=${tls.keyFile}`,
    'allow_anon_ssl=YES',
    'force_anon_logins_ssl=YES',
    'force_anon_data_ssl=YES',
    'force_local_logins_ssl=YES',
    'force_local_data_ssl=YES',
    'require_ssl_reuse=YES',
    // vsftpd 3.0.3's default cipher list is DES-CBC3-SHA alone, which OpenSSL 3 no longer offers.
    'ssl_ciphers=HIGH',
    'ssl_sslv2=NO',
    'ssl_sslv3=NO',
  ];
}

function vsftpdConfig(fields: {
  host: LoopbackHost;
  port: number;
  root: string;
  emptyDir: string;
  logFile: string;
  banner: string;
  tls: PeerTls | undefined;
}): string {
  const pasv = pasvWindow();
  const listen =
    fields.host === '::1'
      ? ['listen=NO', 'listen_ipv6=YES', 'listen_address6=::1']
      : ['listen=YES', 'listen_ipv6=NO', 'listen_address=127.0.0.1'];
  return [
    ...listen,
    `listen_port=${fields.port}`,
    // Foreground, so the harness owns the process and sees it die.
    'background=NO',
    // vsftpd 3.0.3's seccomp filter predates glibc's use of newfstatat for stat(): the session
    // process is killed with SIGSYS at the first SIZE or RETR (seen with strace on Debian 12).
    'seccomp_sandbox=NO',
    // Namespaces (clone CLONE_NEWNET/NEWPID) are not allowed in every CI container; plain fork is.
    'isolate=NO',
    'isolate_network=NO',
    'anonymous_enable=YES',
    'local_enable=NO',
    'no_anon_password=YES',
    `anon_root=${fields.root}`,
    'write_enable=YES',
    'anon_upload_enable=YES',
    'anon_mkdir_write_enable=YES',
    'anon_other_write_enable=YES',
    'anon_umask=022',
    'anon_world_readable_only=YES',
    `secure_chroot_dir=${fields.emptyDir}`,
    'port_enable=YES',
    'connect_from_port_20=NO',
    'port_promiscuous=NO',
    'pasv_enable=YES',
    'pasv_promiscuous=NO',
    `pasv_min_port=${pasv.min}`,
    `pasv_max_port=${pasv.max}`,
    'utf8_filesystem=YES',
    'hide_ids=NO',
    'dirmessage_enable=NO',
    'use_localtime=NO',
    'tcp_wrappers=NO',
    ...vsftpdTlsConfig(fields.tls),
    'syslog_enable=NO',
    // No standard xferlog file; the vsftpd-style log (protocol included) goes to our temp file.
    'xferlog_enable=YES',
    'xferlog_std_format=NO',
    'dual_log_enable=NO',
    `vsftpd_log_file=${fields.logFile}`,
    'log_ftp_protocol=YES',
    'idle_session_timeout=60',
    'data_connection_timeout=30',
    `ftpd_banner=${fields.banner}`,
    '',
  ].join('\n');
}

/**
 * vsftpd (needs root) serving `root` to the anonymous user. The root is made world-readable
 * (0755) and a world-writable `upload/` directory is created in it; see VsftpdServer.writableDir.
 * vsftpd cannot bind port 0, so a free port is picked and the start retried if it was taken.
 */
export async function startVsftpd(options: PeerServerOptions): Promise<VsftpdServer> {
  const vsftpd = findCommand('vsftpd');
  if (vsftpd === undefined) throw new Error('vsftpd is not installed');
  const host = options.host ?? '127.0.0.1';
  const writableDir = 'upload';
  await chmod(options.root, 0o755);
  await mkdir(join(options.root, writableDir), { recursive: true });
  await chmod(join(options.root, writableDir), 0o777);

  const confDir = await makeTempDir('vsftpd');
  try {
    const emptyDir = join(confDir.path, 'empty');
    await mkdir(emptyDir, { mode: 0o755 });
    const logFile = join(confDir.path, 'vsftpd.log');
    const banner = `ftpkit-vsftpd-${randomBytes(6).toString('hex')}`;
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    const failures: string[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const port = await freePort(host);
      const confFile = join(confDir.path, `vsftpd-${attempt}.conf`);
      const config = vsftpdConfig({
        host,
        port,
        root: options.root,
        emptyDir,
        logFile,
        banner,
        tls: options.tls,
      });
      await writeFile(confFile, config, {
        mode: 0o600,
      });
      const proc = await startProcess(vsftpd, [confFile]);
      const up = await waitUntilGreeting(
        proc,
        host,
        port,
        banner,
        deadline,
        options.tls?.mode === 'implicit',
      );
      if (up) {
        const server = processServer(
          proc,
          { host, port, user: 'anonymous', password: 'ftpkit@example.invalid', root: options.root },
          logFile,
        );
        return {
          ...server,
          writableDir,
          async stop(): Promise<void> {
            await proc.stop();
            await confDir.remove();
          },
        };
      }
      await proc.stop();
      const output = `${proc.stdout()}${proc.stderr()}`.trim();
      failures.push(`attempt ${attempt} on port ${port}: ${output === '' ? 'no greeting' : output}`);
      // Only a lost race for the port is worth another try; anything else is a setup problem.
      if (!/bind|in use/i.test(output) || Date.now() > deadline) break;
    }
    throw new Error(`vsftpd did not start:\n${failures.join('\n')}`);
  } catch (error) {
    await confDir.remove();
    throw error;
  }
}

async function waitUntilGreeting(
  proc: ProcessHandle,
  host: string,
  port: number,
  banner: string,
  deadline: number,
  tls: boolean,
): Promise<boolean> {
  // Waiting on the port itself: vsftpd prints nothing once it listens.
  while (Date.now() < deadline && !proc.hasExited()) {
    if (await greets(host, port, banner, tls)) return true;
    await delay(25);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// ftp-srv (in-process)

const noop = (): void => undefined;
// ftp-srv logs through bunyan by default, straight to stdout; the tests want silence.
interface SilentLog {
  trace(): void;
  debug(): void;
  info(): void;
  warn(): void;
  error(): void;
  fatal(): void;
  child(): SilentLog;
}
const silentLog: SilentLog = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child(): SilentLog {
    return silentLog;
  },
};

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

/**
 * ftp-srv in this process with a user/password login confined to `root`. Two of its habits are
 * undone here: it installs SIGTERM/SIGINT/SIGQUIT handlers that call process.exit (removed), and
 * its disconnect path leaves a one-second timer per connection behind (replaced).
 */
export async function startFtpSrv(options: PeerServerOptions): Promise<PeerServer> {
  const host = options.host ?? '127.0.0.1';
  const user = 'ftpkit';
  const password = randomPassword();
  const pasv = pasvWindow();
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const server = new FtpSrv({
    url: `ftp://${host.includes(':') ? `[${host}]` : host}:0`,
    pasv_url: host,
    pasv_min: pasv.min,
    pasv_max: pasv.max,
    anonymous: false,
    greeting: 'ftpkit harness ftp-srv ready',
    log: silentLog,
  });
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  patchDisconnect(server);
  server.on('login', (data, resolve, reject) => {
    if (data.username === user && data.password === password) resolve({ root: options.root });
    else reject(new Error('bad user or password'));
  });
  const errors: string[] = [];
  server.on('client-error', (data) => {
    errors.push(`${data.context}: ${data.error.message}`);
  });
  await (server.listen() as Promise<unknown>);
  const inner: unknown = Reflect.get(server, 'server');
  const address = inner instanceof Server ? inner.address() : null;
  if (address === null || typeof address === 'string') {
    await (server.close() as Promise<unknown>);
    throw new Error('ftp-srv is listening, but its address is unknown');
  }
  let stopping: Promise<void> | undefined;
  return {
    host,
    port: address.port,
    user,
    password,
    root: options.root,
    log: () => Promise.resolve(errors.join('\n')),
    stop(): Promise<void> {
      stopping ??= (server.close() as Promise<unknown>).then(noop);
      return stopping;
    },
  };
}

interface Closable {
  close(code: number): unknown;
}

function patchDisconnect(server: FtpSrv): void {
  const connections: unknown = Reflect.get(server, 'connections');
  if (typeof connections !== 'object' || connections === null) return;
  const table = connections as Record<string, Closable | undefined>;
  // Same effect as ftp-srv 4.6's disconnectClient, without its never-cleared setTimeout.
  Reflect.set(server, 'disconnectClient', (id: string): Promise<string> => {
    const connection = table[id];
    if (connection === undefined) return Promise.resolve('Disconnected');
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the table is keyed by connection id
    delete table[id];
    try {
      // ftp-srv returns a bluebird promise that rejects when the socket is already gone.
      Promise.resolve(connection.close(0)).catch(noop);
    } catch {
      // Already closing; nothing more to do.
    }
    return Promise.resolve('Disconnected');
  });
}
