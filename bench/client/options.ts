import { parseArgs } from 'node:util';
import { parseList, parseSize, UsageError, type ServerName } from '../options.js';
import { CLIENT_NAMES, type ClientName } from './job.js';

export const GROUPS = ['large', 'small'] as const;
export type Group = (typeof GROUPS)[number];

/** The servers a client bench can run against: the reference server and our own. */
export const BENCH_SERVERS = ['vsftpd', 'ftpkitd'] as const satisfies readonly ServerName[];
export type BenchServer = (typeof BENCH_SERVERS)[number];

export const SINKS = ['file', 'null'] as const;
export type Sink = (typeof SINKS)[number];

export interface ClientBenchOptions {
  /** Bytes of the large file. */
  readonly size: number;
  /** Small files per session. */
  readonly files: number;
  /** Repetitions of every transfer; the median is reported. */
  readonly runs: number;
  readonly groups: readonly Group[];
  readonly clients: readonly ClientName[];
  /** Undefined: vsftpd where it can run, else ftpkitd (decided by the caller, who knows). */
  readonly server: BenchServer | undefined;
  /** Where downloads go: local files, or counted and dropped. */
  readonly sink: Sink;
  /** Everything over explicit FTPS (AUTH TLS, PROT P), the server with a throw-away certificate. */
  readonly tls: boolean;
}

export const DEFAULT_FILES = 2_000;
export const SMALL_FILE_SIZE = 4 * 1024;

export const CLIENT_USAGE = `npm run bench:client -- [options]

Runs the ftpkit client, basic-ftp and curl side by side against one server on 127.0.0.1 and prints
each figure with the ratio ftpkit/peer.

Options:
  --size N[K|M|G]       bytes of the large file (binary units)             [1G]
  --files N             small files (4 KiB each) per session                [${DEFAULT_FILES}]
  --runs N              repetitions of each transfer (median shown)         [3]
  --only LIST           groups, comma-separated: ${GROUPS.join(',')}
  --clients LIST        clients, comma-separated: ${CLIENT_NAMES.join(',')}
  --server NAME         ${BENCH_SERVERS.join(' or ')}   [vsftpd where it can run, else ftpkitd]
  --sink file|null      downloads to local files, or counted and dropped    [file]
  --tls                 everything over explicit FTPS (AUTH TLS, PROT P)    [off]
  -h, --help            this text
`;

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag}: an integer from ${min} to ${max}, got ${text}`);
  }
  return value;
}

/** The parsed options, or undefined when only help was asked for. */
export function parseClientOptions(argv: readonly string[]): ClientBenchOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        size: { type: 'string' },
        files: { type: 'string' },
        runs: { type: 'string' },
        only: { type: 'string' },
        clients: { type: 'string' },
        server: { type: 'string' },
        sink: { type: 'string' },
        tls: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help === true) return undefined;
  let server: BenchServer | undefined;
  if (values.server !== undefined) {
    server = BENCH_SERVERS.find((name) => name === values.server);
    if (server === undefined) {
      throw new UsageError(`--server: unknown "${values.server}" (choose from ${BENCH_SERVERS.join(', ')})`);
    }
  }
  const sink = SINKS.find((name) => name === (values.sink ?? 'file'));
  if (sink === undefined) throw new UsageError(`--sink: file or null, got ${values.sink ?? ''}`);
  return {
    size: values.size === undefined ? 1024 ** 3 : parseSize(values.size),
    files: integer('--files', values.files, DEFAULT_FILES, 1, 100_000),
    runs: integer('--runs', values.runs, 3, 1, 50),
    groups: values.only === undefined ? GROUPS : parseList('--only', values.only, GROUPS),
    clients:
      values.clients === undefined ? CLIENT_NAMES : parseList('--clients', values.clients, CLIENT_NAMES),
    server,
    sink,
    tls: values.tls === true,
  };
}
