import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { ControlConnection, FtpProtocolError, type Credentials } from '../control-client.js';
import { sleep, withTimeout } from '../timeout.js';
import { openData, type DataMode } from './data.js';

const STEP_TIMEOUT_MS = 30_000;
/** Cycles per login: clients log in again now and then, as real ones do. */
const CYCLES_PER_SESSION = 10;
const MIN_UPLOAD = 4 * 1024;
const MAX_UPLOAD = 512 * 1024;

export interface SoakTarget {
  readonly host: string;
  readonly port: number;
  readonly credentials: Credentials;
  /** A file every root holds, and its SHA-256. */
  readonly download: { readonly path: string; readonly sha256: string };
  /** Where uploads go. */
  readonly uploadDir: string;
}

/** What the honest clients did, all of them together. */
export class SoakTally {
  uploads = 0;
  downloads = 0;
  listings = 0;
  bytes = 0;
  /** Round trips of every command but the transfers' final replies, in ms. */
  readonly latencies: number[] = [];
  readonly errors: string[] = [];
}

function sha256(data: Buffer | Buffer[]): string {
  const hash = createHash('sha256');
  for (const chunk of Array.isArray(data) ? data : [data]) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * One honest client until `deadline`: log in, then cycles of an upload read back and compared
 * (SHA-256) and deleted, a download compared with the source, a listing and a NOOP; every tenth
 * cycle it logs in afresh. Any failure is recorded, and the client starts over on a new connection.
 */
export async function honestClient(
  id: number,
  target: SoakTarget,
  mode: DataMode,
  deadline: number,
  tally: SoakTally,
): Promise<void> {
  let serial = 0;
  while (Date.now() < deadline) {
    let control: ControlConnection | undefined;
    try {
      control = await ControlConnection.open(target.host, target.port, STEP_TIMEOUT_MS);
      const session = control;
      const timed = async (line: string, codes: readonly number[]) => {
        const start = performance.now();
        const reply = await session.expect(line, codes);
        tally.latencies.push(performance.now() - start);
        return reply;
      };
      await timed(`USER ${target.credentials.user}`, [230, 331]).then((reply) =>
        reply.code === 331 ? timed(`PASS ${target.credentials.password}`, [230]) : reply,
      );
      await timed('TYPE I', [200]);
      for (let cycle = 0; cycle < CYCLES_PER_SESSION && Date.now() < deadline; cycle++) {
        const name = `${target.uploadDir}/soak-${id}-${serial++}.bin`;
        const body = randomBytes(MIN_UPLOAD + Math.floor(Math.random() * (MAX_UPLOAD - MIN_UPLOAD)));
        await transfer(session, target.host, mode, `STOR ${name}`, timed, body);
        const back = await transfer(session, target.host, mode, `RETR ${name}`, timed);
        if (sha256(back) !== sha256(body))
          throw new FtpProtocolError(`${name}: read back differs from what was sent`);
        await timed(`DELE ${name}`, [250]);
        tally.uploads += 1;
        tally.bytes += body.length * 2;
        const file = await transfer(session, target.host, mode, `RETR ${target.download.path}`, timed);
        if (sha256(file) !== target.download.sha256)
          throw new FtpProtocolError(`${target.download.path}: content differs`);
        tally.downloads += 1;
        tally.bytes += file.reduce((sum, chunk) => sum + chunk.length, 0);
        await transfer(session, target.host, mode, 'LIST', timed);
        tally.listings += 1;
        await timed('NOOP', [200]);
      }
      await timed('QUIT', [221]);
    } catch (error) {
      // One line per kind of failure: the file names' numbers would make each one unique.
      const text = (error instanceof Error ? error.message : String(error)).replace(
        /soak-\d+-\d+/g,
        'soak-N',
      );
      tally.errors.push(`${mode}: ${text}`);
      await sleep(200);
    } finally {
      control?.destroy();
    }
  }
}

/**
 * One transfer command over a fresh data connection: sends `body` (STOR) or collects what comes
 * (RETR, LIST), then waits for the data to end and for 226.
 */
async function transfer(
  control: ControlConnection,
  host: string,
  mode: DataMode,
  command: string,
  timed: (line: string, codes: readonly number[]) => Promise<{ code: number; text: string }>,
  body?: Buffer,
): Promise<Buffer[]> {
  const link = await openData(host, mode, STEP_TIMEOUT_MS, timed);
  try {
    await timed(command, [125, 150]);
    const socket: Socket = await link.socket();
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(socket, 'close');
    if (body !== undefined) socket.end(body);
    const [done] = await withTimeout(
      Promise.all([control.next(`${command} (final reply)`), ended]),
      STEP_TIMEOUT_MS,
      `${command} (data)`,
    );
    if (done.code !== 226 && done.code !== 250) throw new FtpProtocolError(`${command}: ${done.text}`);
    return chunks;
  } finally {
    link.close();
  }
}
