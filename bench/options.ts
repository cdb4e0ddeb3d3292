import { parseArgs } from 'node:util';

/** What a plain run measures. */
export const DEFAULT_SCENARIOS = [
  'large',
  'small',
  'concurrency',
  'concurrency-known',
  'concurrency-accounts',
  'login',
  'memory',
  'tls',
] as const;
/** Load scenarios (minutes each) and s3 (needs Swift installed): they run only when named with --only. */
export const LOAD_SCENARIOS = ['idle', 'soak', 's3'] as const;
export const SCENARIO_IDS = [...DEFAULT_SCENARIOS, ...LOAD_SCENARIOS] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** The servers of a run without --servers. */
export const SERVER_NAMES = ['ftpkitd', 'ftp-srv', 'vsftpd', 'pyftpdlib'] as const;
/**
 * Runs only when named: ftpkitd with --no-sendfile, downloads read into buffers, as on systems
 * without the add-on (and as every download was before it), to compare the two in one run.
 */
const EXTRA_SERVER_NAMES = ['ftpkitd-buffers'] as const;
const ALL_SERVER_NAMES = [...SERVER_NAMES, ...EXTRA_SERVER_NAMES] as const;
export type ServerName = (typeof ALL_SERVER_NAMES)[number];

export interface BenchOptions {
  /** Bytes per large-file transfer. */
  readonly size: number;
  /** Repetitions of each large transfer; the median is reported. */
  readonly runs: number;
  /** Fresh-server rounds of the small-file scenario; the median is reported. */
  readonly rounds: number;
  readonly scenarios: readonly ScenarioId[];
  readonly servers: readonly ServerName[];
  /** Idle logged-in sessions held at once by the idle scenario. */
  readonly sessions: number;
  /** How long the soak runs, per server. */
  readonly soakMinutes: number;
  /** Honest clients in the soak (the abusers come on top). */
  readonly soakClients: number;
}

export const USAGE = `npm run bench:server -- [options]

Runs ftpkitd, ftp-srv, vsftpd and pyftpdlib side by side on 127.0.0.1, every client logging in
with a password account, and prints each figure with the ratio ftpkitd/peer.

Options:
  --size N[K|M|G]       bytes per large-file transfer (binary units)       [1G]
  --runs N              repetitions of each large transfer (median shown); [5]
                        in the large scenario the servers take turns
  --rounds N            fresh-server rounds of the small files (median)    [5]
  --only LIST           scenarios, comma-separated: ${SCENARIO_IDS.join(',')}
                        [${DEFAULT_SCENARIOS.join(',')}; the load scenarios ${LOAD_SCENARIOS.join(' and ')} only when named]
  --sessions N          idle: logged-in sessions held at once              [10000]
  --soak-minutes N      soak: minutes per server                           [2]
  --soak-clients N      soak: honest clients, active and passive           [200]
  --servers LIST        servers, comma-separated: ${ALL_SERVER_NAMES.join(',')}
  -h, --help            this text
`;

export class UsageError extends Error {}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? '').toUpperCase()];
  if (match === null || unit === undefined) throw new UsageError(`--size: not a size: ${text}`);
  const bytes = Math.round(Number(match[1]) * unit);
  // Below a mebibyte the figure is all connection setup, not throughput.
  if (bytes < 1024 ** 2) throw new UsageError(`--size: at least 1M, got ${text}`);
  return bytes;
}

/** A comma-separated choice from `allowed`, in `allowed`'s order. */
export function parseList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const picked: T[] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    const known = allowed.find((name) => name === item);
    if (known === undefined) {
      throw new UsageError(`${flag}: unknown "${item}" (choose from ${allowed.join(', ')})`);
    }
    if (!picked.includes(known)) picked.push(known);
  }
  if (picked.length === 0) throw new UsageError(`${flag}: empty list`);
  // The canonical order, so that tables always read the same way whatever order was typed.
  return allowed.filter((name) => picked.includes(name));
}

/** The parsed options, or undefined when only help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        size: { type: 'string' },
        runs: { type: 'string' },
        rounds: { type: 'string' },
        only: { type: 'string' },
        servers: { type: 'string' },
        sessions: { type: 'string' },
        'soak-minutes': { type: 'string' },
        'soak-clients': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help === true) return undefined;
  const runs = count('--runs', values.runs, 5);
  const rounds = count('--rounds', values.rounds, 5);
  return {
    size: values.size === undefined ? 1024 ** 3 : parseSize(values.size),
    runs,
    rounds,
    scenarios: values.only === undefined ? DEFAULT_SCENARIOS : parseList('--only', values.only, SCENARIO_IDS),
    servers:
      values.servers === undefined ? SERVER_NAMES : parseList('--servers', values.servers, ALL_SERVER_NAMES),
    sessions: count('--sessions', values.sessions, 10_000, 100_000),
    soakMinutes: count('--soak-minutes', values['soak-minutes'], 2, 60),
    soakClients: count('--soak-clients', values['soak-clients'], 200, 2_000),
  };
}

function count(flag: string, text: string | undefined, fallback: number, max = 50): number {
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`${flag}: an integer from 1 to ${max}, got ${text ?? ''}`);
  }
  return value;
}

/** "1 GiB", "256 MiB", "1.5 MiB": how a size is shown in headings. */
export function formatBytes(bytes: number): string {
  for (const [unit, factor] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= factor) {
      const value = bytes / factor;
      return `${Number.isInteger(value) ? String(value) : value.toFixed(2)} ${unit}`;
    }
  }
  return `${bytes} B`;
}
