/**
 * What explicit FTPS costs ftpkitd per control connection. Each AUTH TLS makes a SecureContext of
 * the session's own (tls/credentials.ts), so that only its own data connections can resume its
 * TLS session; this measures that context alone, in this process, and whole sessions against the
 * real bin: server CPU per login and memory per idle session, TLS against plain.
 *
 *   npm run build --silent && node build/bench/tls-session-cost.js [--sessions 500]
 *
 * A measurement, not a test: it asserts nothing. Figures go to stdout, progress to stderr.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createSecureContext, type SecureContext } from 'node:tls';
import { run } from '../test/helpers/process.js';
import { createSessionContext, loadTlsCredentials } from '../src/server/tls/credentials.js';
import { ControlConnection } from './control-client.js';
import { Janitor } from './janitor.js';
import { settledSample, type MemorySample } from './memory.js';
import { BenchAccounts } from './accounts.js';
import { ANONYMOUS, startServer, type RunningServer } from './servers.js';
import { median } from './stats.js';
import { makeServerCertificate, type ServerCertificate } from './tls-certificate.js';
import { makeWorkspace } from './workspace.js';

const PARALLEL = 50;
const STEP_TIMEOUT_MS = 30_000;
const CONTEXT_BATCHES = 20;
const CONTEXT_BATCH = 100;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Resident memory of this process in KiB, after a full collection. */
function settledRssKiB(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().rss / 1024;
}

/** Median milliseconds per call of `make`, over batches (the first batch warms up and is dropped). */
function msPerCall(make: () => SecureContext): number {
  const perCall: number[] = [];
  for (let batch = 0; batch <= CONTEXT_BATCHES; batch++) {
    const start = performance.now();
    for (let i = 0; i < CONTEXT_BATCH; i++) make();
    if (batch > 0) perCall.push((performance.now() - start) / CONTEXT_BATCH);
  }
  return median(perCall);
}

/** A throw-away RSA 2048 certificate beside the bench's EC one: many servers still use RSA. */
async function makeRsaCertificate(dir: string): Promise<ServerCertificate> {
  const certFile = join(dir, 'rsa.crt');
  const keyFile = join(dir, 'rsa.key');
  const result = await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  if (result.code !== 0) throw new Error(`openssl failed: ${result.stderr.trim()}`);
  return { certFile, keyFile };
}

/**
 * Memory first, for both certificates, while this process has freed nothing that new contexts
 * could reuse; then time per context, and per empty context (no certificate, no key) beside it.
 */
async function measureContexts(
  certificates: readonly (readonly [string, ServerCertificate])[],
  sessions: number,
): Promise<void> {
  const makers: [string, () => SecureContext][] = [];
  for (const [label, certificate] of certificates) {
    const credentials = await loadTlsCredentials(certificate.certFile, certificate.keyFile);
    makers.push([label, () => createSessionContext(credentials)]);
  }
  const held: SecureContext[] = [];
  const kib = makers.map(([, make]) => {
    const before = settledRssKiB();
    for (let i = 0; i < sessions; i++) held.push(make());
    return (settledRssKiB() - before) / sessions;
  });
  held.length = 0;
  const bareMs = msPerCall(() => createSecureContext({ minVersion: 'TLSv1.2' }));
  makers.forEach(([label, make], index) => {
    console.log(
      `${label}: createSessionContext ${msPerCall(make).toFixed(3)} ms per AUTH TLS ` +
        `(an empty context: ${bareMs.toFixed(3)} ms), ${(kib[index] ?? 0).toFixed(1)} KiB RSS per context ` +
        `(${sessions} held)`,
    );
  });
}

/** CPU time (user + system) the process has used, in ms; /proc counts it in clock ticks. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the state: utime is field 11, stime 12 (proc(5)); USER_HZ is 100 on Linux.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function openSessions(
  server: RunningServer,
  count: number,
  tls: boolean,
): Promise<ControlConnection[]> {
  const sessions: ControlConnection[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      const control = await ControlConnection.open(server.host, server.port, STEP_TIMEOUT_MS);
      sessions.push(control);
      if (tls) await control.startTls();
      await control.login(ANONYMOUS);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return sessions;
}

interface SessionFigures {
  cpuMsPerLogin: number;
  kibPerSession: number;
  before: MemorySample;
  after: MemorySample;
}

async function measureSessions(
  janitor: Janitor,
  root: string,
  certificate: ServerCertificate,
  sessions: number,
  tls: boolean,
): Promise<SessionFigures> {
  // The same server, certificate included, both times: only what the clients do differs.
  // Anonymous logins, which the TLS policy lets in without TLS: the plain run needs them.
  const server = await startServer('ftpkitd', root, root, janitor, {
    accounts: new BenchAccounts(root, janitor),
    manyAccounts: 0,
    anonymous: true,
    connections: sessions + 100,
    tls: certificate,
  });
  try {
    const read = (): Promise<MemorySample> => server.memory();
    // A few sessions first, so that lazily built things (loggers, the first context) are not counted.
    for (const control of await openSessions(server, 5, tls)) control.destroy();
    const before = await settledSample(read);
    const cpuBefore = await cpuMs(server.pid);
    const open = await openSessions(server, sessions, tls);
    const cpuAfter = await cpuMs(server.pid);
    const after = await settledSample(read, 15_000);
    await Promise.all(open.map((control) => control.expect('NOOP', [200])));
    for (const control of open) control.destroy();
    return {
      cpuMsPerLogin: (cpuAfter - cpuBefore) / sessions,
      kibPerSession: (after.rssKiB - before.rssKiB) / sessions,
      before,
      after,
    };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sessions: { type: 'string', default: '500' } } });
  const sessions = Number(values.sessions);
  if (!Number.isInteger(sessions) || sessions < 1)
    throw new Error('--sessions takes a positive whole number');
  const janitor = new Janitor();
  try {
    const workspace = await makeWorkspace(janitor);
    const ec = await makeServerCertificate(workspace);
    const rsa = await makeRsaCertificate(workspace);
    const certificates = [
      ['EC P-256', ec],
      ['RSA 2048', rsa],
    ] as const;
    log('[contexts] in this process');
    await measureContexts(certificates, sessions);
    for (const [label, certificate] of certificates) {
      log(`[sessions] ${label}: ${sessions} plain, then ${sessions} TLS, each on a fresh ftpkitd`);
      const plain = await measureSessions(janitor, workspace, certificate, sessions, false);
      const tls = await measureSessions(janitor, workspace, certificate, sessions, true);
      console.log(
        `${label}, ${sessions} logged-in sessions: server CPU per login ${plain.cpuMsPerLogin.toFixed(2)} ms plain, ` +
          `${tls.cpuMsPerLogin.toFixed(2)} ms with AUTH TLS (handshake included); RSS per idle session ` +
          `${plain.kibPerSession.toFixed(1)} KiB plain, ${tls.kibPerSession.toFixed(1)} KiB TLS ` +
          `(RSS ${(plain.before.rssKiB / 1024).toFixed(1)} -> ${(plain.after.rssKiB / 1024).toFixed(1)} MiB plain, ` +
          `${(tls.before.rssKiB / 1024).toFixed(1)} -> ${(tls.after.rssKiB / 1024).toFixed(1)} MiB TLS)`,
      );
    }
  } finally {
    await janitor.sweep();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`tls-session-cost: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
