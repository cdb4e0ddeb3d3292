import { Client } from 'basic-ftp';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findCommand, inetutilsFtpCommand, python3For, tnftpCommand } from './peers.js';
import { run, type RunResult } from './process.js';

/** Where a stock client connects; every path below is relative to the login directory. */
export interface FtpTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** FTPS: the clients that support it protect the control and data connections (PROT P). */
  tls?: TlsTarget;
}

export interface TlsTarget {
  /** The PEM certificate the client trusts (the test's throw-away self-signed one). */
  caFile: string;
  /** The port is for implicit FTPS (TLS from the first byte); else AUTH TLS on the control port. */
  implicit?: boolean;
}

export type DataMode = 'active' | 'passive';

export type ClientResult = RunResult;

const DEFAULT_CLIENT_TIMEOUT_MS = 20_000;
// The clients' own timeouts fire first and explain themselves; the harness kill is the backstop.
const KILL_MARGIN_MS = 5_000;
// Non-ASCII file names pass through the clients unchanged only in a UTF-8 locale.
const CLIENT_ENV: NodeJS.ProcessEnv = { LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };

function need(command: string | undefined, what: string): string {
  if (command === undefined) throw new Error(`${what} is not installed`);
  return command;
}

function isIPv6(host: string): boolean {
  return host.includes(':');
}

function hostForUrl(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

/** Percent-encodes each segment; a trailing slash marks a directory for curl. */
export function ftpUrl(target: FtpTarget, remotePath: string, directory = false): string {
  const path = remotePath
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  const slash = directory && path !== '' ? '/' : '';
  const scheme = target.tls?.implicit === true ? 'ftps' : 'ftp';
  return `${scheme}://${hostForUrl(target.host)}:${target.port}/${path}${slash}`;
}

// ---------------------------------------------------------------------------------------------------
// curl

export interface CurlOptions {
  mode: DataMode;
  /** EPSV/EPRT allowed (curl's default) or disabled so that PASV/PORT are used. */
  extended: boolean;
  timeoutMs?: number;
  /** Appended before the URL, for the odd case the helpers do not cover. */
  extraArgs?: readonly string[];
}

function curlConfigQuote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `transfers`: the URLs, each after the options that are its own (--output, --upload-file). */
async function curl(
  target: FtpTarget,
  options: CurlOptions,
  args: readonly string[],
  transfers: readonly string[],
): Promise<ClientResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const full = [
    '-sS',
    // Brackets in IPv6 URLs and in file names are literal, not globs.
    '--globoff',
    '--max-time',
    String(seconds),
    '--connect-timeout',
    String(Math.min(seconds, 10)),
    // Credentials arrive as a config file on stdin, so they never show in the process list.
    '--config',
    '-',
    ...(options.mode === 'active' ? ['--ftp-port', '-'] : ['--ftp-pasv']),
    ...(options.extended ? [] : ['--disable-epsv', '--disable-eprt']),
    // AUTH TLS, PBSZ 0, PROT P, or fail; curl resumes the control session on each data connection.
    ...(target.tls ? ['--ssl-reqd', '--cacert', target.tls.caFile] : []),
    ...args,
    ...(options.extraArgs ?? []),
    ...transfers,
  ];
  return run(need(findCommand('curl'), 'curl'), full, {
    input: `user = ${curlConfigQuote(`${target.user}:${target.password}`)}\n`,
    timeoutMs: timeoutMs + KILL_MARGIN_MS,
    env: CLIENT_ENV,
  });
}

let curlVersion: string | undefined;

/**
 * Why curl cannot do active-mode FTPS here, or undefined when it can. curl 7.87.0 lost the TLS
 * filter on active-mode data connections (curl issue #10666, fixed in 8.0.0 by PR #10669): it
 * accepts the connection and never starts the handshake, and hangs. vsftpd sees the same hang.
 */
export function curlActiveTlsProblem(): string | undefined {
  curlVersion ??=
    /^curl (\S+)/.exec(spawnSync(need(findCommand('curl'), 'curl'), ['--version']).stdout.toString())?.[1] ??
    '';
  return /^7\.8[78]\./.test(curlVersion)
    ? `curl ${curlVersion} hangs on active-mode FTPS data connections (curl issue #10666, fixed in 8.0.0)`
    : undefined;
}

/** RETR into localFile; with resume, continues from the local file's size (`-C -`, REST). */
export function curlDownload(
  target: FtpTarget,
  remotePath: string,
  localFile: string,
  options: CurlOptions & { resume?: boolean },
): Promise<ClientResult> {
  const resume = options.resume === true ? ['--continue-at', '-'] : [];
  return curl(target, options, [...resume, '--output', localFile], [ftpUrl(target, remotePath)]);
}

export interface CurlUploadOptions extends CurlOptions {
  /** MKD missing directories on the way (`--ftp-create-dirs`). */
  createDirs?: boolean;
  /** APPE instead of STOR. */
  append?: boolean;
  /** Skip what the server already has (SIZE), then APPE the rest (`-C -`). */
  resume?: boolean;
}

/** STOR localFile as remotePath (a remotePath ending in '/' keeps the local name). */
export function curlUpload(
  target: FtpTarget,
  localFile: string,
  remotePath: string,
  options: CurlUploadOptions,
): Promise<ClientResult> {
  const args = [
    ...(options.createDirs === true ? ['--ftp-create-dirs'] : []),
    ...(options.append === true ? ['--append'] : []),
    ...(options.resume === true ? ['--continue-at', '-'] : []),
    '--upload-file',
    localFile,
  ];
  return curl(target, options, args, [ftpUrl(target, remotePath, remotePath.endsWith('/'))]);
}

export function curlAppend(
  target: FtpTarget,
  localFile: string,
  remotePath: string,
  options: CurlOptions,
): Promise<ClientResult> {
  return curlUpload(target, localFile, remotePath, { ...options, append: true });
}

/** LIST (or NLST with namesOnly) of a directory; the listing is the result's stdout. */
export function curlList(
  target: FtpTarget,
  remoteDir: string,
  options: CurlOptions & { namesOnly?: boolean },
): Promise<ClientResult> {
  return curl(target, options, options.namesOnly === true ? ['--list-only'] : [], [
    ftpUrl(target, remoteDir, true),
  ]);
}

/** A remote path of a curlBatch run ending in '/' is a directory, listed into its local file. */
export interface CurlBatch {
  uploads: readonly { localFile: string; remotePath: string }[];
  downloads: readonly { remotePath: string; localFile: string }[];
}

/**
 * Several transfers in one curl run over one control connection (curl keeps it between URLs of
 * one host), as a `-K` file of url/output pairs does: the uploads, then the downloads. curl pairs
 * the n-th --upload-file and the n-th --output with the n-th URL wherever they stand, so the
 * uploads come first and their output goes nowhere. With --fail-early a failed transfer fails the
 * run; without it curl's exit code would tell of the last transfer only.
 */
export function curlBatch(target: FtpTarget, batch: CurlBatch, options: CurlOptions): Promise<ClientResult> {
  const url = (remotePath: string): string => ftpUrl(target, remotePath, remotePath.endsWith('/'));
  const args = [
    '--fail-early',
    ...batch.uploads.flatMap((u) => ['--upload-file', u.localFile, '--output', '/dev/null']),
    ...batch.downloads.flatMap((d) => ['--output', d.localFile]),
  ];
  const urls = [...batch.uploads, ...batch.downloads].map((t) => url(t.remotePath));
  return curl(target, options, args, urls);
}

/**
 * Sends raw commands (`--quote`) in the login directory without a transfer (`--head`: curl stops
 * after the commands). A command starting with '*' may fail without failing curl.
 */
export function curlQuote(
  target: FtpTarget,
  commands: readonly string[],
  options: CurlOptions,
): Promise<ClientResult> {
  const args = commands.flatMap((command) => ['--quote', command]);
  return curl(target, options, [...args, '--head'], [ftpUrl(target, '', true)]);
}

// ---------------------------------------------------------------------------------------------------
// lftp

export interface LftpOptions {
  mode: DataMode;
  /**
   * Prefer EPSV over PASV in passive mode (`ftp:prefer-epsv`). Default false. Active mode is PORT
   * over IPv4 and EPRT over IPv6 whatever this says: lftp has no switch for EPRT.
   */
  extended?: boolean;
  timeoutMs?: number;
  /** Local working directory for relative local paths. */
  cwd?: string;
}

/** lftp's parser takes double-quoted words with backslash escapes, like a shell. */
export function lftpQuote(word: string): string {
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Runs lftp commands after connecting and logging in; lftp stops at the first failing command
 * (`cmd:fail-exit`) with a non-zero exit code. The script goes in on stdin, credentials included.
 */
export function lftpScript(
  target: FtpTarget,
  commands: readonly string[],
  options: LftpOptions,
): Promise<ClientResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  const netTimeout = Math.max(1, Math.min(10, Math.ceil(timeoutMs / 1000)));
  const script = [
    'set cmd:fail-exit yes',
    'set cmd:interactive no',
    'set net:max-retries 1',
    'set net:persist-retries 0',
    `set net:timeout ${netTimeout}`,
    'set net:reconnect-interval-base 1',
    `set ftp:passive-mode ${options.mode === 'passive' ? 'on' : 'off'}`,
    // Without this lftp switches modes by itself after a failure, hiding the one under test.
    'set ftp:auto-passive-mode no',
    `set ftp:prefer-epsv ${options.extended === true ? 'yes' : 'no'}`,
    ...lftpTlsSettings(target.tls),
    'set xfer:clobber on',
    // Keep lftp from writing history and transfer logs into $HOME.
    'set xfer:log no',
    'set cmd:save-cwd-history no',
    'set cmd:save-rl-history no',
    `open -p ${target.port} ${lftpQuote(target.host)}`,
    `user ${lftpQuote(target.user)} ${lftpQuote(target.password)}`,
    ...commands,
    'bye',
    '',
  ].join('\n');
  return run(need(findCommand('lftp'), 'lftp'), ['--norc'], {
    input: script,
    timeoutMs: timeoutMs + KILL_MARGIN_MS,
    env: CLIENT_ENV,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
}

/** FTPS with PROT P and the test's certificate trusted, or plain FTP only (no AUTH TLS attempt). */
function lftpTlsSettings(tls: TlsTarget | undefined): string[] {
  if (tls === undefined) return ['set ftp:ssl-allow no'];
  return [
    'set ftp:ssl-allow yes',
    'set ftp:ssl-force true',
    'set ftp:ssl-protect-data true',
    'set ftp:ssl-protect-list true',
    `set ssl:ca-file ${lftpQuote(tls.caFile)}`,
    'set ssl:verify-certificate yes',
  ];
}

/** Copies remoteDir into localDir (created if missing). */
export function lftpMirrorDown(
  target: FtpTarget,
  remoteDir: string,
  localDir: string,
  options: LftpOptions,
): Promise<ClientResult> {
  return lftpScript(target, [`mirror --verbose ${lftpQuote(remoteDir)} ${lftpQuote(localDir)}`], options);
}

/** Copies localDir into remoteDir (created if missing), `mirror -R`. */
export function lftpMirrorUp(
  target: FtpTarget,
  localDir: string,
  remoteDir: string,
  options: LftpOptions,
): Promise<ClientResult> {
  return lftpScript(target, [`mirror -R --verbose ${lftpQuote(localDir)} ${lftpQuote(remoteDir)}`], options);
}

export function lftpGet(
  target: FtpTarget,
  remotePath: string,
  localFile: string,
  options: LftpOptions,
): Promise<ClientResult> {
  return lftpScript(target, [`get ${lftpQuote(remotePath)} -o ${lftpQuote(localFile)}`], options);
}

export function lftpPut(
  target: FtpTarget,
  localFile: string,
  remotePath: string,
  options: LftpOptions,
): Promise<ClientResult> {
  return lftpScript(target, [`put ${lftpQuote(localFile)} -o ${lftpQuote(remotePath)}`], options);
}

/** The server's LIST output for remoteDir, as stdout. */
export function lftpLs(target: FtpTarget, remoteDir: string, options: LftpOptions): Promise<ClientResult> {
  return lftpScript(target, [`ls ${lftpQuote(remoteDir)}`], options);
}

// ---------------------------------------------------------------------------------------------------
// Python ftplib

export type FtplibOp =
  | { op: 'retr'; remote: string; local: string; rest?: number }
  | { op: 'stor'; local: string; remote: string }
  | { op: 'appe'; local: string; remote: string }
  | { op: 'nlst'; path?: string }
  | { op: 'mlsd'; path?: string }
  | { op: 'dir'; path?: string }
  | { op: 'mkd'; path: string }
  | { op: 'rmd'; path: string }
  | { op: 'delete'; path: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'size'; path: string }
  | { op: 'cwd'; path: string }
  | { op: 'pwd' }
  | { op: 'quote'; line: string };

export interface FtplibJob {
  mode: DataMode;
  /**
   * Over FTPS: whether each data connection resumes the control connection's TLS session. Stock
   * ftplib does not (false); true runs a small subclass that does, as servers that require it
   * need. Default true.
   */
  resumeTlsSession?: boolean;
  ops: readonly FtplibOp[];
  /** Stop at the first failing operation (default) or run them all. */
  stopOnError?: boolean;
  timeoutMs?: number;
}

/**
 * What each operation returned: retr/stor/appe/delete/rename/cwd/rmd/quote the server's reply,
 * nlst and dir a list of lines, mlsd [name, facts] pairs, size a number, pwd and mkd a path.
 * A failure carries ftplib's message and the reply code when there was one.
 */
export type FtplibOpResult =
  | { op: FtplibOp['op']; ok: true; value: unknown }
  | { op: FtplibOp['op']; ok: false; error: string; code: string | null };

export interface FtplibResult {
  /** Logged in and every operation ran and succeeded. */
  ok: boolean;
  welcome: string | null;
  /** Set when connect or login failed (then results is empty). */
  loginError: string | null;
  results: FtplibOpResult[];
  process: RunResult;
}

const FTPLIB_SCRIPT = String.raw`
import ftplib, json, ssl, sys

job = json.load(sys.stdin)

class ResumingFTP_TLS(ftplib.FTP_TLS):
    # Stock FTP_TLS starts a fresh TLS session on every data connection.
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size

def client():
    tls = job['tls']
    if tls is None:
        return ftplib.FTP(timeout=job['timeout'], encoding='utf-8')
    context = ssl.create_default_context(cafile=tls['cafile'])
    kind = ResumingFTP_TLS if tls['resume'] else ftplib.FTP_TLS
    return kind(timeout=job['timeout'], encoding='utf-8', context=context)

def code_of(error):
    text = str(error)
    return text[:3] if text[:3].isdigit() else None

def describe(error):
    return str(error) or type(error).__name__

def run(ftp, op):
    name = op['op']
    if name == 'retr':
        with open(op['local'], 'wb') as f:
            return ftp.retrbinary('RETR ' + op['remote'], f.write, rest=op.get('rest'))
    if name == 'stor':
        with open(op['local'], 'rb') as f:
            return ftp.storbinary('STOR ' + op['remote'], f)
    if name == 'appe':
        with open(op['local'], 'rb') as f:
            return ftp.storbinary('APPE ' + op['remote'], f)
    if name == 'nlst':
        return ftp.nlst(*([op['path']] if op.get('path') else []))
    if name == 'mlsd':
        return [[n, facts] for n, facts in ftp.mlsd(op.get('path') or '')]
    if name == 'dir':
        lines = []
        ftp.retrlines('LIST ' + op['path'] if op.get('path') else 'LIST', lines.append)
        return lines
    if name == 'mkd':
        return ftp.mkd(op['path'])
    if name == 'rmd':
        return ftp.rmd(op['path'])
    if name == 'delete':
        return ftp.delete(op['path'])
    if name == 'rename':
        return ftp.rename(op['from'], op['to'])
    if name == 'size':
        # Servers may refuse SIZE in ASCII mode, where the size would depend on line endings.
        ftp.voidcmd('TYPE I')
        return ftp.size(op['path'])
    if name == 'cwd':
        return ftp.cwd(op['path'])
    if name == 'pwd':
        return ftp.pwd()
    if name == 'quote':
        return ftp.sendcmd(op['line'])
    raise ValueError('unknown op ' + name)

out = {'welcome': None, 'loginError': None, 'results': []}
ftp = client()
try:
    out['welcome'] = ftp.connect(job['host'], job['port'])
    # FTP_TLS.login sends AUTH TLS first.
    ftp.login(job['user'], job['password'])
    if job['tls'] is not None:
        ftp.prot_p()
    ftp.set_pasv(job['passive'])
except (ftplib.all_errors + (UnicodeError,)) as e:
    out['loginError'] = describe(e)
    ftp.close()
    print(json.dumps(out))
    sys.exit(0)
for op in job['ops']:
    try:
        out['results'].append({'op': op['op'], 'ok': True, 'value': run(ftp, op)})
    except (ftplib.all_errors + (UnicodeError, ValueError)) as e:
        out['results'].append({'op': op['op'], 'ok': False, 'error': describe(e), 'code': code_of(e)})
        if job['stopOnError']:
            break
try:
    ftp.quit()
except ftplib.all_errors:
    ftp.close()
print(json.dumps(out))
`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Runs the operations with Python's ftplib: PASV or PORT over IPv4, EPSV or EPRT over IPv6 (ftplib
 * chooses by address family). Rejects only when Python crashed without printing its JSON report.
 */
export async function runFtplib(target: FtpTarget, job: FtplibJob): Promise<FtplibResult> {
  const timeoutMs = job.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  const input = JSON.stringify({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    passive: job.mode === 'passive',
    tls: target.tls ? { cafile: target.tls.caFile, resume: job.resumeTlsSession ?? true } : null,
    ops: job.ops,
    stopOnError: job.stopOnError ?? true,
    timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
  });
  const result = await run(need(python3For('ftplib'), 'python3'), ['-c', FTPLIB_SCRIPT], {
    input,
    timeoutMs: timeoutMs + KILL_MARGIN_MS,
    env: { ...CLIENT_ENV, PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' },
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed) || !Array.isArray(parsed.results)) {
    throw new Error(
      `ftplib driver failed (code ${String(result.code)}, signal ${String(result.signal)}):\n` +
        `${result.stderr}\n${result.stdout}`,
    );
  }
  const results = parsed.results as FtplibOpResult[];
  const loginError = typeof parsed.loginError === 'string' ? parsed.loginError : null;
  return {
    ok: loginError === null && results.length === job.ops.length && results.every((r) => r.ok),
    welcome: typeof parsed.welcome === 'string' ? parsed.welcome : null,
    loginError,
    results,
    process: result,
  };
}

// ---------------------------------------------------------------------------------------------------
// tnftp (the classic BSD `ftp`)

export interface TnftpOptions {
  mode: DataMode;
  /** EPSV/EPRT over IPv4 (`epsv4`); tnftp's default is on. Default true. */
  extended?: boolean;
  timeoutMs?: number;
  /** Local working directory for relative local paths. */
  cwd?: string;
}

/** tnftp splits its command lines like a shell: double quotes group, backslash escapes. */
export function tnftpQuote(word: string): string {
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Feeds commands to `tnftp -n -v host port` on stdin after login, binary mode and the data mode.
 * tnftp exits 0 even when a command failed: check the files, or the reply lines in stdout.
 */
export function tnftpScript(
  target: FtpTarget,
  commands: readonly string[],
  options: TnftpOptions,
): Promise<ClientResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  const script = [
    `user ${tnftpQuote(target.user)} ${tnftpQuote(target.password)}`,
    'binary',
    `passive ${options.mode === 'passive' ? 'on' : 'off'}`,
    `epsv4 ${options.extended === false ? 'off' : 'on'}`,
    'prompt off',
    ...commands,
    'bye',
    '',
  ].join('\n');
  // -q: give up on a transfer that stalls, rather than wait for the harness to kill us.
  const stall = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  return run(
    need(tnftpCommand(), 'tnftp'),
    ['-n', '-v', '-e', '-q', stall, target.host, String(target.port)],
    {
      input: script,
      timeoutMs: timeoutMs + KILL_MARGIN_MS,
      env: CLIENT_ENV,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    },
  );
}

export function tnftpGet(
  target: FtpTarget,
  remotePath: string,
  localFile: string,
  options: TnftpOptions,
): Promise<ClientResult> {
  return tnftpScript(target, [`get ${tnftpQuote(remotePath)} ${tnftpQuote(localFile)}`], options);
}

export function tnftpPut(
  target: FtpTarget,
  localFile: string,
  remotePath: string,
  options: TnftpOptions,
): Promise<ClientResult> {
  return tnftpScript(target, [`put ${tnftpQuote(localFile)} ${tnftpQuote(remotePath)}`], options);
}

/** LIST of remoteDir; the listing is in stdout among tnftp's verbose reply lines. */
export function tnftpLs(target: FtpTarget, remoteDir: string, options: TnftpOptions): Promise<ClientResult> {
  return tnftpScript(target, [`ls ${tnftpQuote(remoteDir)}`], options);
}

// ---------------------------------------------------------------------------------------------------
// inetutils-ftp (GNU's classic `ftp`)

export interface InetutilsFtpOptions {
  mode: DataMode;
  timeoutMs?: number;
  /** Local working directory for relative local paths. */
  cwd?: string;
}

/**
 * Feeds commands to `inetutils-ftp -n -v -i host port` on stdin after login and binary mode; the
 * data mode is chosen by flag (`-p`/`-A`) since its `passive` command only toggles. Like tnftp it
 * exits 0 when a command failed: check the files, or the reply lines in stdout. Its command lines
 * are split like tnftp's (tnftpQuote).
 */
export function inetutilsFtpScript(
  target: FtpTarget,
  commands: readonly string[],
  options: InetutilsFtpOptions,
): Promise<ClientResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  const script = [
    `user ${tnftpQuote(target.user)} ${tnftpQuote(target.password)}`,
    'binary',
    ...commands,
    'bye',
    '',
  ].join('\n');
  return run(
    need(inetutilsFtpCommand(), 'inetutils-ftp'),
    ['-n', '-v', '-i', '-e', options.mode === 'passive' ? '-p' : '-A', target.host, String(target.port)],
    {
      input: script,
      timeoutMs: timeoutMs + KILL_MARGIN_MS,
      env: CLIENT_ENV,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// basic-ftp

/**
 * Connects and logs in with basic-ftp (passive only), runs fn, and always closes the client. Over
 * FTPS it sends AUTH TLS, PBSZ 0 and PROT P, and resumes the control session on data connections.
 */
export async function withBasicFtp<T>(
  target: FtpTarget,
  fn: (client: Client) => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const client = new Client(options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS);
  try {
    await client.access({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      secure: target.tls?.implicit === true ? 'implicit' : target.tls !== undefined,
      ...(target.tls && { secureOptions: { ca: readFileSync(target.tls.caFile) } }),
    });
    return await fn(client);
  } finally {
    client.close();
  }
}
