import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { python3For } from '../../test/helpers/peers.js';
import { run } from '../../test/helpers/process.js';
import { ControlConnection } from '../control-client.js';
import { formatBytes, type BenchOptions } from '../options.js';
import { metric, type Metric } from '../report.js';
import { median, percentile } from '../stats.js';
import { BIG_FILE, listNames, sameContent, SMALL_DIR, UPLOAD_DIR, warmPageCache } from '../workspace.js';
import { LARGE_MODES } from './large.js';
import { SMALL_FILES_LOOP } from './small.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const SMALL_COUNT = 2_000;
const SMALL_SIZE = 4 * 1024;
const LOGINS = 200;
const LOGIN_WARMUP = 5;
const STEP_TIMEOUT_MS = 10_000;
const SMALL_TIMEOUT_MS = 600_000;
// Slower than this and the run is broken, not slow.
const MIN_RATE_BYTES_PER_S = 10e6;

function transferTimeoutMs(size: number): number {
  return Math.max(60_000, (size / MIN_RATE_BYTES_PER_S) * 1000);
}

// Python's ftplib over TLS, with two changes. Every FTPS server that checks session reuse
// (vsftpd's require_ssl_reuse, ftpkitd's --tls-session-reuse required) needs each data connection
// to resume the control connection's TLS session; stock ftplib makes a fresh one and gets 522.
// And TCP_NODELAY on the data connection, as curl sets by default: after an upload ftplib's
// unwrap() sends a close_notify that Nagle holds until the server's delayed ACK, 40 ms a file
// with either server depending on when its last ACK went out, which measured the client's wait.
// curl is not used: Debian's curl 7.88.1 hangs on active-mode FTPS data (curl issue #10666).
// The job comes on stdin; the figures go to stdout as one JSON line.
const SCRIPT = String.raw`
import ftplib, io, json, socket, ssl, sys, time
class ResumingFTP_TLS(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size
job = json.loads(sys.stdin.readline())
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
ftp = ResumingFTP_TLS(context=context, timeout=60)
ftp.connect(job['host'], job['port'])
ftp.auth()
ftp.login(job['user'], job['password'])
ftp.prot_p()
ftp.set_pasv(not job.get('active', False))
ftp.voidcmd('TYPE I')
BLOCK = 1 << 20
if job['kind'] == 'large':
    moved = [0]
    def count(chunk):
        moved[0] += len(chunk)
    start = time.perf_counter()
    if job['upload']:
        with open(job['source'], 'rb') as source:
            ftp.storbinary('STOR ' + job['target'], source, blocksize=BLOCK)
        moved[0] = job['size']
    else:
        ftp.retrbinary('RETR ' + job['target'], count, blocksize=BLOCK)
    seconds = time.perf_counter() - start
    if moved[0] != job['size']:
        raise SystemExit('moved %d bytes, expected %d' % (moved[0], job['size']))
    print(json.dumps({'seconds': seconds}))
    ftp.quit()
    sys.exit(0)
${SMALL_FILES_LOOP}ftp.quit()
`;

async function python(
  context: ScenarioContext,
  job: Record<string, unknown>,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const interpreter = python3For('ftplib');
  if (interpreter === undefined) throw new Error('no python3 with ftplib');
  const { server } = context;
  const full = {
    host: server.host,
    port: server.port,
    user: server.credentials.user,
    password: server.credentials.password,
    ...job,
  };
  const result = await run(interpreter, ['-c', SCRIPT], { input: `${JSON.stringify(full)}\n`, timeoutMs });
  if (result.code !== 0) {
    const last = result.stderr.trim().split('\n').slice(-3).join(' / ');
    throw new Error(`ftplib over TLS exit ${String(result.code ?? result.signal)}: ${last}`);
  }
  const parsed: unknown = JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error(`unreadable ftplib output: ${result.stdout}`);
  return parsed as Record<string, number>;
}

async function largeRows(context: ScenarioContext): Promise<{ metrics: Metric[]; note: string }> {
  const { options } = context;
  const source = join(context.root, BIG_FILE);
  const metrics: Metric[] = [];
  const runs: string[] = [];
  for (const mode of LARGE_MODES) {
    const rates: number[] = [];
    for (let attempt = 1; attempt <= options.runs; attempt++) {
      const target = mode.upload ? `${UPLOAD_DIR}/tls-${mode.key}-${attempt}.bin` : BIG_FILE;
      // As in the plain large scenario: every upload lands in memory the kernel has just freed.
      if (mode.upload) await warmPageCache(dirname(context.root), options.size);
      const { seconds } = await python(
        context,
        { kind: 'large', upload: mode.upload, active: mode.active, source, target, size: options.size },
        transferTimeoutMs(options.size),
      );
      if (seconds === undefined || !(seconds > 0)) throw new Error(`${mode.label}: no time measured`);
      if (mode.upload) {
        const stored = join(context.root, target);
        const intact = await sameContent(source, stored);
        await rm(stored, { force: true });
        if (!intact) throw new Error(`${mode.label} over TLS: the stored file differs from the source`);
      }
      rates.push(options.size / seconds);
    }
    const shown = rates.map((rate) => (rate / 1e9).toFixed(2));
    context.progress(`${mode.label}, PROT P: ${shown.join(', ')} GB/s`);
    metrics.push(
      metric(`tls-${mode.key}`, `${mode.label}, PROT P`, median(rates) / 1e9, 'GB/s', 2, 'higher'),
    );
    runs.push(`${mode.label} ${shown.join('/')}`);
  }
  return { metrics, note: `each TLS run, GB/s: ${runs.join('; ')}` };
}

async function smallRows(context: ScenarioContext): Promise<Metric[]> {
  const names = await listNames(join(context.root, SMALL_DIR));
  const dst = `${UPLOAD_DIR}/tls-small-up`;
  const { down, up } = await python(
    context,
    { kind: 'small', src: SMALL_DIR, dst, names, size: SMALL_SIZE },
    SMALL_TIMEOUT_MS,
  );
  if (down === undefined || up === undefined) throw new Error('unreadable small-file timings');
  const uploaded = await listNames(join(context.root, dst));
  if (uploaded.length !== SMALL_COUNT)
    throw new Error(`${uploaded.length} files arrived over TLS, expected ${SMALL_COUNT}`);
  for (const name of names) {
    if (!(await sameContent(join(context.root, SMALL_DIR, name), join(context.root, dst, name)))) {
      throw new Error(`uploaded ${name} differs from the source`);
    }
  }
  context.progress(
    `small over TLS: ${(SMALL_COUNT / down).toFixed(0)} files/s down, ${(SMALL_COUNT / up).toFixed(0)} up`,
  );
  return [
    metric(
      'tls-small-down',
      `${SMALL_COUNT} x 4 KiB download, one TLS session`,
      SMALL_COUNT / down,
      'files/s',
      0,
      'higher',
    ),
    metric(
      'tls-small-up',
      `${SMALL_COUNT} x 4 KiB upload, one TLS session`,
      SMALL_COUNT / up,
      'files/s',
      0,
      'higher',
    ),
  ];
}

async function loginRows(context: ScenarioContext): Promise<Metric[]> {
  const { server } = context;
  const logins: number[] = [];
  for (let i = 0; i < LOGINS + LOGIN_WARMUP; i++) {
    const start = performance.now();
    const control = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
    try {
      await control.startTls();
      await control.login(server.credentials);
      if (i >= LOGIN_WARMUP) logins.push(performance.now() - start);
      await control.quit();
    } finally {
      control.destroy();
    }
  }
  context.progress(
    `AUTH TLS login p50 ${percentile(logins, 50).toFixed(2)} ms, p99 ${percentile(logins, 99).toFixed(2)} ms`,
  );
  return [
    metric('tls-login-p50', 'connect..AUTH TLS..PROT P..230 p50', percentile(logins, 50), 'ms', 2, 'lower'),
    metric('tls-login-p99', 'connect..AUTH TLS..PROT P..230 p99', percentile(logins, 99), 'ms', 2, 'lower'),
  ];
}

export const tlsScenario: Scenario = {
  id: 'tls',
  tls: true,
  title: (options: BenchOptions) =>
    `6. FTPS (explicit, PROT P, data sessions resumed): ${formatBytes(options.size)} RETR and STOR both modes (median of ${options.runs}), ` +
    `${SMALL_COUNT} x 4 KiB in one session, Python ftplib; ${LOGINS} logins with AUTH TLS, Node driver`,
  skip: (server) =>
    server === 'ftp-srv' || server === 'pyftpdlib' ? 'the bench compares FTPS with vsftpd only' : undefined,
  async sources(sources, options) {
    return { big: await sources.big(options.size), small: await sources.small(SMALL_COUNT, SMALL_SIZE) };
  },
  timeoutMs: (options) =>
    LARGE_MODES.length * options.runs * transferTimeoutMs(options.size) + SMALL_TIMEOUT_MS + 120_000,
  async run(context): Promise<ScenarioResult> {
    const large = await largeRows(context);
    const small = await smallRows(context);
    const logins = await loginRows(context);
    return {
      metrics: [...large.metrics, ...small, ...logins],
      notes: context.options.runs > 1 ? [large.note] : [],
    };
  },
};
