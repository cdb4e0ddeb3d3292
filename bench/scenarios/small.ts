import { join } from 'node:path';
import { python3For } from '../../test/helpers/peers.js';
import { run } from '../../test/helpers/process.js';
import { metric } from '../report.js';
import { listNames, sameContent, SMALL_DIR, UPLOAD_DIR } from '../workspace.js';
import type { Scenario, ScenarioResult } from './scenario.js';

const COUNT = 2_000;
const SIZE = 4 * 1024;
// ftp-srv needs about three minutes here (it polls for data connections); 10 minutes means stuck.
const TIMEOUT_MS = 600_000;

/**
 * Python, after a login with the bench's password account: downloads every file of the job, then uploads the same bytes
 * into a fresh folder, and prints the two durations as JSON. Shared with the TLS scenario.
 */
export const SMALL_FILES_LOOP = String.raw`blobs = []
start = time.perf_counter()
for name in job['names']:
    parts = []
    ftp.retrbinary('RETR %s/%s' % (job['src'], name), parts.append)
    data = b''.join(parts)
    if len(data) != job['size']:
        raise SystemExit('RETR %s: %d bytes, expected %d' % (name, len(data), job['size']))
    blobs.append(data)
down = time.perf_counter() - start
ftp.mkd(job['dst'])
start = time.perf_counter()
for name, data in zip(job['names'], blobs):
    ftp.storbinary('STOR %s/%s' % (job['dst'], name), io.BytesIO(data))
up = time.perf_counter() - start
print(json.dumps({'down': down, 'up': up}))
`;

/**
 * One ftplib session: download every file, then upload the same bytes into a fresh folder.
 * Passive (PASV, ftplib's choice for IPv4) and binary, as the brief asks. The job comes on stdin.
 */
export function smallFilesScript(timeoutSeconds: number): string {
  return String.raw`
import ftplib, io, json, sys, time
job = json.loads(sys.stdin.readline())
ftp = ftplib.FTP()
ftp.connect(job['host'], job['port'], timeout=${timeoutSeconds})
ftp.login(job['user'], job['password'])
ftp.set_pasv(True)
ftp.voidcmd('TYPE I')
${SMALL_FILES_LOOP}ftp.quit()
`;
}

const SCRIPT = smallFilesScript(30);

interface Timing {
  down: number;
  up: number;
}

function isTiming(value: unknown): value is Timing {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'down') === 'number' &&
    typeof Reflect.get(value, 'up') === 'number'
  );
}

export const smallScenario: Scenario = {
  id: 'small',
  title: (options) =>
    `2. Many small files: ${COUNT} x 4 KiB down then up in one session, Python ftplib, passive, binary, median of ${options.rounds} fresh-server rounds`,
  async sources(sources) {
    return { small: await sources.small(COUNT, SIZE) };
  },
  timeoutMs: () => TIMEOUT_MS + 30_000,
  // One fresh-server round of 2,000 files is over in seconds and swings by 10-20% with whatever
  // else the machine does; the median of several, servers taking turns, is the fair figure.
  // ftp-srv needs three minutes a round, far behind either way: it runs once.
  rounds: (options, server) => (server === 'ftp-srv' ? 1 : options.rounds),
  async run(context): Promise<ScenarioResult> {
    const python = python3For('ftplib');
    if (python === undefined) throw new Error('no python3 with ftplib');
    const names = await listNames(join(context.root, SMALL_DIR));
    if (names.length !== COUNT) throw new Error(`root holds ${names.length} small files, expected ${COUNT}`);
    const dst = `${UPLOAD_DIR}/small-up`;
    const job = {
      host: context.server.host,
      port: context.server.port,
      user: context.server.credentials.user,
      password: context.server.credentials.password,
      src: SMALL_DIR,
      dst,
      names,
      size: SIZE,
    };
    const result = await run(python, ['-c', SCRIPT], {
      input: `${JSON.stringify(job)}\n`,
      timeoutMs: TIMEOUT_MS,
    });
    if (result.code !== 0) {
      throw new Error(
        `ftplib exit ${String(result.code ?? result.signal)}: ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`,
      );
    }
    const timing: unknown = JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
    if (!isTiming(timing)) throw new Error(`unreadable ftplib output: ${result.stdout}`);
    const uploaded = await listNames(join(context.root, dst));
    if (uploaded.length !== COUNT) throw new Error(`${uploaded.length} files arrived, expected ${COUNT}`);
    for (const name of names) {
      if (!(await sameContent(join(context.root, SMALL_DIR, name), join(context.root, dst, name)))) {
        throw new Error(`uploaded ${name} differs from the source`);
      }
    }
    const down = COUNT / timing.down;
    const up = COUNT / timing.up;
    context.progress(`${down.toFixed(0)} files/s down, ${up.toFixed(0)} files/s up`);
    return {
      metrics: [
        metric('down', 'download (RETR)', down, 'files/s', 0, 'higher'),
        metric('up', 'upload (STOR)', up, 'files/s', 0, 'higher'),
      ],
      notes: [],
    };
  },
};
