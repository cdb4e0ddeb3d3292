// OpenStack Swift with its s3api middleware: a real S3 engine from Debian's packages (swift-proxy,
// swift-account, swift-container, swift-object, memcached), started once per test run on free
// loopback ports with its data in a temporary folder, and stopped by the root hooks.
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/server/fs/s3/client.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findCommand } from './peers.js';
import { run, startProcess, type ProcessHandle } from './process.js';
import { makeTempDir, type TempDir } from './temp-dir.js';

/** tempauth's account `test:tester`, as the SDK's credentials. */
export const SWIFT_CREDENTIALS = { accessKeyId: 'test:tester', secretAccessKey: 'testing' };

const COMMANDS = [
  'memcached',
  'swift-ring-builder',
  'swift-proxy-server',
  'swift-object-server',
  'swift-container-server',
  'swift-account-server',
];

export interface Swift {
  /** http://127.0.0.1:PORT, the S3 endpoint. */
  readonly endpoint: string;
  /** Stops the proxy only (the engine "goes away"); storage stays. */
  stopProxy(): Promise<void>;
  /** Starts the proxy again on the same port (if stopped) and waits until it answers. */
  startProxy(): Promise<void>;
  stop(): Promise<void>;
}

/** Why Swift cannot run here, or undefined when it can. */
export function swiftMissing(): string | undefined {
  const missing = COMMANDS.filter((c) => findCommand(c) === undefined);
  if (missing.length === 0) return undefined;
  return `Swift is not installed (missing ${missing.join(', ')}): apt-get install swift-proxy swift-account swift-container swift-object memcached`;
}

/** Ports free now, held open together so that no two are the same. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

function common(dir: string, port: number): string {
  return [
    '[DEFAULT]',
    'bind_ip = 127.0.0.1',
    `bind_port = ${port}`,
    // One process per server: enough for tests, half the memory of a worker each.
    'workers = 0',
    'user = root',
    `swift_dir = ${join(dir, 'etc')}`,
    `devices = ${join(dir, 'node')}`,
    'mount_check = false',
    'log_level = WARNING',
    '',
  ].join('\n');
}

function serverConfig(dir: string, kind: string, port: number): string {
  const extra = kind === 'object' ? '[object-replicator]\n[object-updater]\n[object-auditor]\n' : '';
  return `${common(dir, port)}[pipeline:main]\npipeline = ${kind}-server\n[app:${kind}-server]\nuse = egg:swift#${kind}\n${extra}`;
}

function proxyConfig(dir: string, port: number, memcachedPort: number): string {
  const filters = [
    'catch_errors',
    'gatekeeper',
    'healthcheck',
    'proxy_logging',
    'listing_formats',
    'bulk',
    'copy',
    'slo',
    'dlo',
  ];
  return (
    common(dir, port) +
    '[pipeline:main]\n' +
    'pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server\n' +
    '[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n' +
    filters.map((f) => `[filter:${f.replace('_logging', '-logging')}]\nuse = egg:swift#${f}\n`).join('') +
    `[filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:${memcachedPort}\n` +
    '[filter:s3api]\nuse = egg:swift#s3api\nlocation = us-east-1\n' +
    '[filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = testing .admin\n'
  );
}

async function ring(dir: string, kind: string, port: number): Promise<void> {
  const builder = join(dir, 'etc', `${kind}.builder`);
  for (const args of [
    [builder, 'create', '8', '1', '1'],
    [builder, 'add', `r1z1-127.0.0.1:${port}/d1`, '1'],
    [builder, 'rebalance'],
  ]) {
    const result = await run('swift-ring-builder', args, { timeoutMs: 30_000 });
    // rebalance exits 1 with a warning on a one-device ring, and still writes the ring.
    if (result.code !== 0 && !(args[1] === 'rebalance' && result.code === 1)) {
      throw new Error(`swift-ring-builder ${args.slice(1).join(' ')}: ${result.stderr || result.stdout}`);
    }
  }
}

/** One GET /healthcheck on a connection of its own (no keep-alive timer left behind). */
function healthcheck(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(`${endpoint}/healthcheck`, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode === 200));
    });
    request.on('error', () => resolve(false));
  });
}

/**
 * Until the proxy answers its health check and a first bucket can be made and read: the account
 * and container servers take a moment longer than the proxy, and answer 503 meanwhile.
 */
async function ready(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await healthcheck(endpoint))) {
    if (Date.now() > deadline) throw new Error(`Swift did not answer at ${endpoint} within ${timeoutMs} ms`);
    await delay(100);
  }
  const client = createS3Client({ endpoint, pathStyle: true, credentials: SWIFT_CREDENTIALS });
  try {
    for (;;) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: 'ftpkit-warm-up' })).catch((err: unknown) => {
          // Made already: the proxy came back after a stop.
          if ((err as Error).name !== 'BucketAlreadyOwnedByYou') throw err;
        });
        await client.send(new HeadBucketCommand({ Bucket: 'ftpkit-warm-up' }));
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await delay(200);
      }
    }
  } finally {
    client.destroy();
  }
}

/** Starts Swift on free ports; about 5 s. */
export async function startSwift(): Promise<Swift> {
  const missing = swiftMissing();
  if (missing !== undefined) throw new Error(missing);
  const temp: TempDir = await makeTempDir('swift');
  const dir = temp.path;
  const [proxyPort = 0, objectPort = 0, containerPort = 0, accountPort = 0, memcachedPort = 0] =
    await freePorts(5);
  const ports: Record<string, number> = {
    object: objectPort,
    container: containerPort,
    account: accountPort,
  };
  await run('mkdir', ['-p', join(dir, 'etc'), join(dir, 'node', 'd1')]);
  await Promise.all(
    Object.entries(ports).map(async ([kind, port]) => {
      await writeFile(join(dir, 'etc', `${kind}-server.conf`), serverConfig(dir, kind, port));
      await ring(dir, kind, port);
    }),
  );
  const proxyConf = join(dir, 'etc', 'proxy-server.conf');
  await writeFile(proxyConf, proxyConfig(dir, proxyPort, memcachedPort));
  const processes: ProcessHandle[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop({ graceMs: 3000 })));
    await temp.remove();
  };
  const endpoint = `http://127.0.0.1:${proxyPort}`;
  let proxy: ProcessHandle | undefined;
  const startProxy = async (): Promise<void> => {
    if (proxy !== undefined && !proxy.hasExited()) return;
    proxy = await startProcess('swift-proxy-server', [proxyConf]);
    processes.push(proxy);
    await ready(endpoint, 30_000);
  };
  try {
    processes.push(
      await startProcess('memcached', [
        '-u',
        'memcache',
        '-l',
        '127.0.0.1',
        '-p',
        String(memcachedPort),
        '-m',
        '64',
      ]),
    );
    for (const kind of Object.keys(ports)) {
      processes.push(await startProcess(`swift-${kind}-server`, [join(dir, 'etc', `${kind}-server.conf`)]));
    }
    await startProxy();
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    endpoint,
    async stopProxy() {
      await proxy?.stop({ graceMs: 3000 });
    },
    startProxy,
    stop: stopAll,
  };
}

let shared: Promise<Swift> | undefined;

/** The run's one Swift, started on first use; the root hooks stop it (stopSharedSwift). */
export function sharedSwift(): Promise<Swift> {
  shared ??= startSwift();
  return shared;
}

/** Stops the shared Swift if a test started it. */
export async function stopSharedSwift(): Promise<void> {
  if (shared === undefined) return;
  const swift = await shared.catch(() => undefined);
  shared = undefined;
  await swift?.stop();
}
