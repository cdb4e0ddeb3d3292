import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ControlConnection } from '../control-client.js';
import { metric } from '../report.js';
import { ABUSERS, AbuseTally } from '../soak/abusers.js';
import { honestClient, SoakTally, type SoakTarget } from '../soak/honest-client.js';
import { percentile } from '../stats.js';
import { sleep, withTimeout } from '../timeout.js';
import { MID_FILE, UPLOAD_DIR } from '../workspace.js';
import { summarizeErrors } from './concurrency.js';
import { headline } from './memory.js';
import type { Scenario, ScenarioResult } from './scenario.js';
import { errorText } from './scenario.js';

const FILE_SIZE = 1024 * 1024;
const SAMPLE_EVERY_MS = 10_000;
/** How long clients get, past the deadline, to finish the cycle they are in. */
const WIND_DOWN_MS = 60_000;

export const soakScenario: Scenario = {
  id: 'soak',
  title: (options) =>
    `8. Soak: ${options.soakMinutes} min, ${options.soakClients} honest clients (half active, half passive) uploading, reading back, downloading and listing with SHA-256 checks, while abusers guess passwords, squat unauthenticated, flood STAT, reset transfers half-way and storm ABOR`,
  skip: (server) =>
    server === 'pyftpdlib'
      ? 'not set up for the load scenarios (its own limits and timeouts untuned)'
      : undefined,
  async sources(sources) {
    return { mid: await sources.mid(FILE_SIZE) };
  },
  timeoutMs: (options) => options.soakMinutes * 60_000 + WIND_DOWN_MS + 60_000,
  async run(context): Promise<ScenarioResult> {
    const { server, options } = context;
    const sha256 = createHash('sha256')
      .update(await readFile(join(context.root, MID_FILE)))
      .digest('hex');
    const target: SoakTarget = {
      host: server.host,
      port: server.port,
      credentials: server.credentials,
      download: { path: MID_FILE, sha256 },
      uploadDir: UPLOAD_DIR,
    };
    const started = Date.now();
    const deadline = started + options.soakMinutes * 60_000;
    const tally = new SoakTally();
    const abuse = new AbuseTally();
    const memory: number[] = [];
    const sampling = (async () => {
      while (Date.now() < deadline) {
        await sleep(Math.min(SAMPLE_EVERY_MS, Math.max(0, deadline - Date.now())));
        const sample = await server.memory();
        memory.push(headline(server, sample) / 1024);
        context.progress(
          `${Math.round((Date.now() - started) / 1000)} s: ${tally.uploads + tally.downloads + tally.listings} transfers, ${tally.errors.length} errors, ${memory.at(-1)?.toFixed(1)} MiB`,
        );
      }
    })();
    const clients = Array.from({ length: options.soakClients }, (_, id) =>
      honestClient(id, target, id % 2 === 0 ? 'passive' : 'active', deadline, tally),
    );
    const abusers = ABUSERS.map((abuser) =>
      abuser(
        {
          host: server.host,
          port: server.port,
          credentials: server.credentials,
          download: MID_FILE,
          uploadDir: UPLOAD_DIR,
        },
        deadline,
        abuse,
      ),
    );
    await sampling;
    const seconds = (Date.now() - started) / 1000;
    try {
      await withTimeout(
        Promise.all([...clients, ...abusers]),
        WIND_DOWN_MS,
        'clients finishing their last cycle',
      );
    } catch (error) {
      tally.errors.push(errorText(error));
    }

    // Still serving once it is over?
    let alive = 'yes';
    try {
      const control = await ControlConnection.open(server.host, server.port, 10_000);
      await control.login(server.credentials);
      await control.quit();
    } catch (error) {
      alive = `no: ${errorText(error)}`;
    }
    const left = await readdir(join(context.root, UPLOAD_DIR));
    const halfWritten = left.filter((name) => name.startsWith('vanish-')).length;
    const hidden = left.filter((name) => name.startsWith('.')).length;
    const transfers = tally.uploads + tally.downloads + tally.listings;
    const first = memory[0] ?? Number.NaN;
    const last = memory.at(-1) ?? Number.NaN;
    context.progress(
      `${transfers} transfers, ${tally.errors.length} errors, memory ${first.toFixed(1)} -> ${last.toFixed(1)} MiB`,
    );
    return {
      metrics: [
        metric(
          'transfers',
          'transfers done (uploads read back, downloads, listings)',
          transfers,
          '',
          0,
          'higher',
        ),
        metric('rate', 'transfers per second', transfers / seconds, '/s', 1, 'higher'),
        metric('errors', 'honest clients: errors', tally.errors.length, '', 0, 'none'),
        metric('p50', 'command round trip p50', percentile(tally.latencies, 50), 'ms', 2, 'lower'),
        metric('p99', 'command round trip p99', percentile(tally.latencies, 99), 'ms', 2, 'lower'),
        metric('mem-first', 'memory at 10 s', first, 'MiB', 1, 'lower'),
        metric('mem-last', 'memory at the end', last, 'MiB', 1, 'lower'),
        metric('mem-max', 'memory at most', Math.max(...memory), 'MiB', 1, 'lower'),
        metric('half-written', 'cut uploads visible afterwards', halfWritten, '', 0, 'none'),
        metric('hidden', 'hidden files left in the upload folder', hidden, '', 0, 'none'),
        {
          ...metric('alive', 'serves a new login afterwards', alive === 'yes' ? 1 : 0, '', 0, 'none'),
          text: alive,
        },
      ],
      notes: [
        `memory every ${SAMPLE_EVERY_MS / 1000} s (MiB; vsftpd: summed PSS): ${memory.map((m) => m.toFixed(1)).join(' ')}`,
        `${tally.uploads} uploads, ${tally.downloads} downloads, ${tally.listings} listings, ${(tally.bytes / 1e9).toFixed(2)} GB, ${tally.latencies.length} commands timed`,
        `abusers: ${abuse.toString()}`,
        ...(abuse.cutOff.length > 0 ? [`abuse rounds cut off: ${summarizeErrors(abuse.cutOff)}`] : []),
        ...(tally.errors.length > 0 ? [`errors: ${summarizeErrors(tally.errors)}`] : []),
      ],
    };
  },
};
