import { parseArgs } from 'node:util';

export const SCENARIO_IDS = ['large', 'small', 'concurrency', 'login', 'memory'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export const SERVER_NAMES = ['ftpkitd', 'ftp-srv', 'vsftpd'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

export interface BenchOptions {
  /** Bytes per large-file transfer. */
  readonly size: number;
  /** Repetitions of each large transfer; the median is reported. */
  readonly runs: number;
  /** Fresh-server rounds of the small-file scenario; the median is reported. */
  readonly rounds: number;
  readonly scenarios: readonly ScenarioId[];
  readonly servers: readonly ServerName[];
}

export const USAGE = `npm run bench:server -- [options]

Runs ftpkitd, ftp-srv and vsftpd side by side on 127.0.0.1 and prints each figure with the ratio
ftpkitd/peer.

Options:
  --size N[K|M|G]       bytes per large-file transfer (binary units)       [1G]
  --runs N              repetitions of each large transfer (median shown)  [5]
  --rounds N            fresh-server rounds of the small files (median)    [5]
  --only LIST           scenarios, comma-separated: ${SCENARIO_IDS.join(',')}
  --servers LIST        servers, comma-separated: ${SERVER_NAMES.join(',')}
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
    scenarios: values.only === undefined ? SCENARIO_IDS : parseList('--only', values.only, SCENARIO_IDS),
    servers:
      values.servers === undefined ? SERVER_NAMES : parseList('--servers', values.servers, SERVER_NAMES),
  };
}

function count(flag: string, text: string | undefined, fallback: number): number {
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 50) {
    throw new UsageError(`${flag}: an integer from 1 to 50, got ${text ?? ''}`);
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
