import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Client } from '../../src/server/fs/s3/client.js';
import { findCommand, python3For } from '../../test/helpers/peers.js';
import { run, startProcess } from '../../test/helpers/process.js';
import { startSwift, swiftMissing, SWIFT_CREDENTIALS, type Swift } from '../../test/helpers/swift.js';
import { formatBytes } from '../options.js';
import { metric, type Metric } from '../report.js';
import { addFtpkitdUsers, makeCredentials } from '../accounts.js';
import type { Credentials } from '../control-client.js';
import { HOST } from '../servers.js';
import { median } from '../stats.js';
import { BIG_FILE, SMALL_DIR } from '../workspace.js';
import { smallFilesScript } from './small.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const BIN = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'bin', 'ftpkitd.js');
const BUCKET = 'bench';
// ftpkitd's S3 store uses these for its uploads; the SDK's own upload gets the same.
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
const SMALL_COUNT = 2_000;
const SMALL_SIZE = 4 * 1024;
// A slower engine than a disk: each step may take longer.
const SMALL_SCRIPT = smallFilesScript(60);

/** The ceiling: the SDK alone against the same engine, as one client doing one thing at a time. */
class SdkClient {
  constructor(readonly client: S3Client) {}

  async put(key: string, path: string): Promise<void> {
    await new Upload({
      client: this.client,
      params: { Bucket: BUCKET, Key: key, Body: createReadStream(path, { highWaterMark: 1024 * 1024 }) },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
    }).done();
  }

  async get(key: string): Promise<number> {
    const got = await this.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done();
      },
    });
    if (got.Body === undefined) throw new Error('GetObject gave no body');
    await pipeline(got.Body as NodeJS.ReadableStream, sink);
    return bytes;
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function curl(port: number, account: Credentials, args: string[], timeoutMs: number): Promise<void> {
  const command = findCommand('curl');
  if (command === undefined) throw new Error('curl is not installed');
  const result = await run(
    command,
    [
      '--silent',
      '--show-error',
      '--user',
      `${account.user}:${account.password}`,
      ...args.map((a) => a.replace('PORT', String(port))),
    ],
    { timeoutMs },
  );
  if (result.code !== 0)
    throw new Error(`curl exit ${String(result.code ?? result.signal)}: ${result.stderr.trim()}`);
}

/** ftpkitd as users run it: a password account made by `ftpkitd passwd`, its home the root. */
async function startFtpkitdOnS3(
  swift: Swift,
  dir: string,
  account: Credentials,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const usersFile = join(dir, 'users.json');
  await addFtpkitdUsers(usersFile, [account]);
  const proc = await startProcess(
    BIN,
    [
      '--users',
      usersFile,
      '--root',
      join(dir, 'root'),
      '--store',
      `s3://${BUCKET}/ftp`,
      '--s3-endpoint',
      swift.endpoint,
      '--s3-path-style',
      '--log-level',
      'warn',
      '--port',
      '0',
    ],
    {
      env: {
        AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
      },
    },
  );
  const match = await proc.waitForLine(/on ftp:\/\/[^/]*:(\d+)\//, { timeoutMs: 20_000 });
  return { port: Number(match[1]), stop: () => proc.stop({ graceMs: 3000 }) };
}

export const s3Scenario: Scenario = {
  id: 's3',
  title: (options) =>
    `S3 store on OpenStack Swift: ${formatBytes(options.size)} RETR/STOR (curl, median of ${options.runs}) and ${SMALL_COUNT} x 4 KiB down then up (ftplib), beside the AWS SDK alone against the same engine`,
  async sources(sources, options) {
    return { big: await sources.big(options.size), small: await sources.small(SMALL_COUNT, SMALL_SIZE) };
  },
  timeoutMs: (options) => 4 * options.runs * Math.max(60_000, (options.size / 10e6) * 1000) + 600_000,
  skip: (server) =>
    server !== 'ftpkitd'
      ? "the S3 store is ftpkitd's own; its peer is the SDK alone, in ftpkitd's row"
      : swiftMissing(),
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const { options } = context;
    const python = python3For('ftplib');
    if (python === undefined) throw new Error('no python3 with ftplib');
    const swift = await startSwift();
    const client = createS3Client({
      endpoint: swift.endpoint,
      pathStyle: true,
      credentials: SWIFT_CREDENTIALS,
    });
    let ftpkitd: { port: number; stop: () => Promise<void> } | undefined;
    const dir = await mkdtemp(join(tmpdir(), 'ftpkit-bench-s3-'));
    const account = makeCredentials(0).main;
    try {
      await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
      ftpkitd = await startFtpkitdOnS3(swift, dir, account);
      const { port } = ftpkitd;
      const sdk = new SdkClient(client);
      const big = join(context.root, BIG_FILE);
      const timeoutMs = Math.max(60_000, (options.size / 10e6) * 1000);
      const rates: Record<string, number[]> = { stor: [], 'stor-sdk': [], retr: [], 'retr-sdk': [] };
      for (let attempt = 1; attempt <= options.runs; attempt++) {
        // Turns alternate so that neither side always meets a warmer engine.
        rates['stor-sdk']?.push(options.size / (await timed(() => sdk.put('ftp/sdk-big.bin', big))));
        rates.stor?.push(
          options.size /
            (await timed(() =>
              curl(port, account, ['--upload-file', big, `ftp://${HOST}:PORT/big.bin`], timeoutMs),
            )),
        );
        const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'ftp/big.bin' }));
        if (head.ContentLength !== options.size)
          throw new Error(`STOR stored ${String(head.ContentLength)} bytes`);
        rates['retr-sdk']?.push(options.size / (await timed(() => sdk.get('ftp/big.bin'))));
        rates.retr?.push(
          options.size /
            (await timed(() =>
              curl(port, account, ['--output', '/dev/null', `ftp://${HOST}:PORT/big.bin`], timeoutMs),
            )),
        );
        context.progress(
          `run ${attempt}: ${Object.entries(rates)
            .map(([k, v]) => `${k} ${((v.at(-1) ?? 0) / 1e9).toFixed(2)}`)
            .join(', ')} GB/s`,
        );
      }

      // Small files: the SDK first puts the sources (also ftpkitd's download set), timed.
      const names = Array.from({ length: SMALL_COUNT }, (_, i) => `f${String(i).padStart(5, '0')}.bin`);
      const blobs = await Promise.all(
        names.map(async (name) => ({ name, body: await readFile(join(context.root, SMALL_DIR, name)) })),
      );
      const sdkUp = await timed(async () => {
        for (const { name, body } of blobs) {
          await client.send(
            new PutObjectCommand({ Bucket: BUCKET, Key: `ftp/${SMALL_DIR}/${name}`, Body: body }),
          );
        }
      });
      const sdkDown = await timed(async () => {
        for (const name of names) await sdk.get(`ftp/${SMALL_DIR}/${name}`);
      });
      const job = {
        host: HOST,
        port,
        user: account.user,
        password: account.password,
        src: SMALL_DIR,
        dst: 'small-up',
        names,
        size: SMALL_SIZE,
      };
      const result = await run(python, ['-c', SMALL_SCRIPT], {
        input: `${JSON.stringify(job)}\n`,
        timeoutMs: 600_000,
      });
      if (result.code !== 0)
        throw new Error(
          `ftplib exit ${String(result.code ?? result.signal)}: ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`,
        );
      const timing = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as {
        down?: number;
        up?: number;
      };
      if (typeof timing.down !== 'number' || typeof timing.up !== 'number')
        throw new Error(`unreadable ftplib output: ${result.stdout}`);

      const gb = (key: string): number => median(rates[key] ?? []) / 1e9;
      const metrics: Metric[] = [
        metric('retr', `RETR ${formatBytes(options.size)}`, gb('retr'), 'GB/s', 2, 'higher'),
        metric('retr-sdk', '  SDK GetObject (ceiling)', gb('retr-sdk'), 'GB/s', 2, 'higher'),
        metric('stor', `STOR ${formatBytes(options.size)}`, gb('stor'), 'GB/s', 2, 'higher'),
        metric('stor-sdk', '  SDK Upload (ceiling)', gb('stor-sdk'), 'GB/s', 2, 'higher'),
        metric('small-down', 'small files RETR', SMALL_COUNT / timing.down, 'files/s', 0, 'higher'),
        metric('small-down-sdk', '  SDK GetObject (ceiling)', SMALL_COUNT / sdkDown, 'files/s', 0, 'higher'),
        metric('small-up', 'small files STOR', SMALL_COUNT / timing.up, 'files/s', 0, 'higher'),
        metric('small-up-sdk', '  SDK PutObject (ceiling)', SMALL_COUNT / sdkUp, 'files/s', 0, 'higher'),
      ];
      const notes = Object.entries(rates).map(
        ([key, values]) => `${key} each run, GB/s: ${values.map((v) => (v / 1e9).toFixed(2)).join('/')}`,
      );
      return { metrics, notes };
    } finally {
      await ftpkitd?.stop();
      client.destroy();
      await swift.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
