// Shared pieces of the interop suites: an ftpkitd whose debug log is kept in memory, so a test can
// assert which commands a stock client really sent (the mode it used), not only that bytes arrived.
import { expect } from 'chai';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/server/logger.js';
import type { ServerOptions } from '../../src/server/options.js';
import type { FtpServer } from '../../src/server/server.js';
import { loadTlsCredentials } from '../../src/server/tls/credentials.js';
import type { ClientResult, DataMode, FtpTarget } from '../helpers/peer-clients.js';
import { requirePeer, type PeerName } from '../helpers/peers.js';
import { READER, startServer } from '../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { makeCertificate, type TestCertificate } from '../helpers/tls-cert.js';
import { waitFor } from '../helpers/wait.js';

export const MODES: readonly DataMode[] = ['passive', 'active'];
/** Each suite runs over plain FTP, then again over FTPS (AUTH TLS, PROT P) with the default policy. */
export const SECURITY = [false, true] as const;

/** Explicit FTPS (AUTH TLS), or implicit (TLS from the first byte, on the implicit port). */
export type TlsSetup = boolean | 'implicit';

/** A suite title's note for its FTPS run. */
export function tlsLabel(tls: TlsSetup): string {
  if (tls === 'implicit') return ' with implicit FTPS';
  return tls ? ' with FTPS (PROT P)' : '';
}
export const HOSTS = ['127.0.0.1', '::1'] as const;
export type LoopbackHost = (typeof HOSTS)[number];

/** One command line as the server executed it (PASS is masked by the server itself). */
export interface SeenCommand {
  session: string;
  line: string;
  verb: string;
}

/** One finished data transfer, from the server's 'transfer' log record. */
export interface SeenTransfer {
  session: string;
  direction: string;
  path: string;
  bytes: number;
  ok: boolean;
}

export interface InteropServer extends FtpTarget {
  readonly server: FtpServer;
  readonly host: LoopbackHost;
  /** Real path of the folder served as "/". */
  readonly root: string;
  /** A position in the log, for commandsSince / transfersSince. */
  mark(): number;
  commandsSince(mark: number): SeenCommand[];
  /** Upper-case verbs executed since the mark, in order. */
  verbsSince(mark: number): string[];
  transfersSince(mark: number): SeenTransfer[];
  /** The same server as the read-only account. */
  asReader(): FtpTarget;
  close(): Promise<void>;
}

type LogRecord =
  | { kind: 'command'; seq: number; command: SeenCommand }
  | { kind: 'transfer'; seq: number; transfer: SeenTransfer };

// Keeps the log of one test run bounded even if a client loops on a failing command.
const MAX_RECORDS = 50_000;

/**
 * Receives pino's JSON lines and keeps the two record kinds the tests look at. Its write completes
 * synchronously, so a record is visible as soon as the server has logged it.
 */
class LogRecorder extends Writable {
  private readonly records: LogRecord[] = [];
  private seq = 0;

  constructor() {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line !== '') this.record(line);
    callback();
  }

  private record(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const record = parsed as Record<string, unknown>;
    const session = typeof record.sid === 'string' ? record.sid : '';
    const seq = this.seq++;
    if (record.msg === 'command' && typeof record.command === 'string') {
      const verb = /^\S*/.exec(record.command)?.[0].toUpperCase() ?? '';
      this.push({ kind: 'command', seq, command: { session, line: record.command, verb } });
    } else if (record.msg === 'transfer') {
      this.push({
        kind: 'transfer',
        seq,
        transfer: {
          session,
          direction: String(record.direction),
          path: String(record.path),
          bytes: Number(record.bytes),
          ok: record.ok === true,
        },
      });
    }
  }

  mark(): number {
    return this.seq;
  }

  commandsSince(mark: number): SeenCommand[] {
    return this.records.flatMap((r) => (r.seq >= mark && r.kind === 'command' ? [r.command] : []));
  }

  transfersSince(mark: number): SeenTransfer[] {
    return this.records.flatMap((r) => (r.seq >= mark && r.kind === 'transfer' ? [r.transfer] : []));
  }

  private push(record: LogRecord): void {
    if (this.records.length >= MAX_RECORDS) this.records.shift();
    this.records.push(record);
  }
}

/**
 * Starts ftpkitd in-process on host:0 with a fresh temporary root and the test accounts of
 * helpers/start-server.ts, logging at debug level into memory instead of to stderr. With a
 * certificate it serves FTPS (TLS and session reuse required) and its target says so; implicit,
 * the target is the implicit FTPS port.
 */
export async function startInteropServer(
  host: LoopbackHost,
  overrides: Partial<ServerOptions> = {},
  certificate?: TestCertificate,
  implicit = false,
): Promise<InteropServer> {
  const recorder = new LogRecorder();
  const tls = certificate && (await loadTlsCredentials(certificate.certFile, certificate.keyFile));
  const started = await startServer({
    host,
    options: implicit ? { ...overrides, implicitTlsPort: 0 } : overrides,
    logger: createLogger('debug', recorder),
    ...(tls && { tls }),
  });
  const implicitPort = started.server.implicitTlsAddress()?.port;
  const target: FtpTarget & { host: LoopbackHost } = {
    host,
    port: implicitPort ?? started.port,
    user: started.user,
    password: started.password,
    ...(certificate && { tls: { caFile: certificate.certFile, implicit: implicitPort !== undefined } }),
  };
  return {
    ...target,
    server: started.server,
    root: started.root,
    mark: () => recorder.mark(),
    commandsSince: (mark) => recorder.commandsSince(mark),
    verbsSince: (mark) => recorder.commandsSince(mark).map((c) => c.verb),
    transfersSince: (mark) => recorder.transfersSince(mark),
    asReader: () => ({ ...target, user: READER }),
    close: () => started.close(),
  };
}

/** What a suite's tests reach through useInteropFixture; both throw until its before hook has run. */
export interface InteropFixture {
  srv: () => InteropServer;
  /** A path in the suite's own temp folder, the client's side of a transfer. */
  local: (name: string) => string;
}

/**
 * Registers the hooks one suite needs: skip unless `peer` (when named) and the host are usable,
 * then an interop server and a local temp folder for the whole suite, both removed after it. A
 * suite seeds its files in a `before` hook of its own, which mocha runs after this one.
 */
export function useInteropFixture(
  host: LoopbackHost,
  prefix: string,
  peer?: PeerName,
  setup: { tls?: TlsSetup; options?: Partial<ServerOptions> } = {},
): InteropFixture {
  let server: InteropServer | undefined;
  let tmp: TempDir | undefined;

  before(async function () {
    if (peer !== undefined) requirePeer(this, peer);
    await requireHost(this, host);
    tmp = await makeTempDir(prefix);
    const certificate =
      setup.tls === false || setup.tls === undefined ? undefined : await makeCertificate(tmp.path, 'ca');
    server = await startInteropServer(host, setup.options, certificate, setup.tls === 'implicit');
  });

  after(async function () {
    await server?.close();
    await tmp?.remove();
  });

  return {
    srv: () => {
      if (!server) throw new Error('server not started');
      return server;
    },
    local: (name) => {
      if (!tmp) throw new Error('no temp dir');
      return join(tmp.path, name);
    },
  };
}

/**
 * The transfers finished since the mark, once there are at least `count`: a failed transfer is
 * logged a moment after its 426 reply, which the client may already have seen.
 */
export async function transfersAfter(
  server: InteropServer,
  mark: number,
  count: number,
): Promise<SeenTransfer[]> {
  await waitFor(() => server.transfersSince(mark).length >= count, 5000, `${count} transfer record(s)`);
  return server.transfersSince(mark);
}

/** Runs one client session and returns the verbs the server executed meanwhile. */
export async function verbsDuring(server: InteropServer, session: () => Promise<void>): Promise<string[]> {
  const mark = server.mark();
  await session();
  return server.verbsSince(mark);
}

/** The client process exited 0; the message carries its output for diagnosis. */
export function ok(result: ClientResult): void {
  expect(
    result.code,
    `exit ${String(result.code)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  ).to.equal(0);
}

/** The data-connection verbs: the one a client must have used for a mode, and the ones it must not. */
export function dataVerbs(mode: DataMode, extended: boolean): { used: string; unused: string[] } {
  const used = mode === 'passive' ? (extended ? 'EPSV' : 'PASV') : extended ? 'EPRT' : 'PORT';
  return { used, unused: ['PASV', 'EPSV', 'PORT', 'EPRT'].filter((verb) => verb !== used) };
}

/** Asserts that the session set up its data connections with `used` and never with the others. */
export function expectDataVerbs(verbs: readonly string[], mode: DataMode, extended: boolean): void {
  const { used, unused } = dataVerbs(mode, extended);
  expect(verbs, `verbs: ${verbs.join(' ')}`).to.include(used);
  for (const verb of unused) expect(verbs, `verbs: ${verbs.join(' ')}`).not.to.include(verb);
}

let ipv6: Promise<boolean> | undefined;

/** Whether ::1 can be listened on here (containers without IPv6 cannot). */
export function ipv6Loopback(): Promise<boolean> {
  ipv6 ??= new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      resolve(false);
    });
    probe.listen(0, '::1', () => {
      probe.close(() => {
        resolve(true);
      });
    });
  });
  return ipv6;
}

/**
 * Skips the suite (from its before hook) when the host is ::1 and IPv6 is unavailable. That is the
 * machine, not a missing peer, so it skips even under CI.
 */
export async function requireHost(ctx: Mocha.Context, host: LoopbackHost): Promise<void> {
  if (host === '::1' && !(await ipv6Loopback())) ctx.skip();
}

/** Names the tests transfer besides random binaries: spaces, non-ASCII, a quote-like character. */
export const ODD_NAME = 'ünï cödé & spaces ✓.txt';
