import { parseArgs } from 'node:util';
import type { DataMode } from '../options.js';
import { UsageError } from './usage-error.js';

export type VerbName = 'ls' | 'get' | 'put' | 'rm' | 'mkdir' | 'mv' | 'mirror' | 'shell';

const ALIASES: ReadonlyMap<string, VerbName> = new Map<string, VerbName>([
  ['ls', 'ls'],
  ['list', 'ls'],
  ['get', 'get'],
  ['put', 'put'],
  ['rm', 'rm'],
  ['delete', 'rm'],
  ['mkdir', 'mkdir'],
  ['mv', 'mv'],
  ['rename', 'mv'],
  ['mirror', 'mirror'],
  ['shell', 'shell'],
]);

export function verbByName(name: string): VerbName | undefined {
  return ALIASES.get(name);
}

/** The flags every verb takes. */
export interface CommonFlags {
  mode: DataMode;
  quiet: boolean;
  verbose: boolean;
  ascii: boolean;
  /** --tls: explicit FTPS (AUTH TLS) with an ftp:// URL. */
  tls: boolean;
  /** --ca FILE: trust the certificates in this PEM file. */
  ca?: string;
  /** --insecure: accept any certificate. */
  insecure: boolean;
  /**
   * --foreign-data-host: data connections with a host other than the server's address (a server
   * behind a load balancer or NAT): allowForeignActivePeer and allowForeignPasvHost.
   */
  foreignDataHost: boolean;
}

export interface VerbCommand {
  kind: 'verb';
  verb: VerbName;
  /** The verb's own arguments, after the verb. */
  args: string[];
  flags: CommonFlags;
  resume: boolean;
  /** get -o */
  output?: string;
  /** rm -r */
  recursive: boolean;
  /** ls -F: a "/" after directories, "@" after links, "*" after executables */
  classify: boolean;
  /** mirror --reverse */
  reverse: boolean;
  include: string[];
  exclude: string[];
  parallel?: number;
}

export type Command = { kind: 'help'; verb?: VerbName } | { kind: 'version' } | VerbCommand;

const OPTIONS = {
  active: { type: 'boolean' },
  passive: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  ascii: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  resume: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  recursive: { type: 'boolean', short: 'r' },
  reverse: { type: 'boolean', short: 'R' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  parallel: { type: 'string' },
  classify: { type: 'boolean', short: 'F' },
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  'foreign-data-host': { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;

const COMMON: readonly OptionName[] = [
  'active',
  'passive',
  'quiet',
  'verbose',
  'ascii',
  'tls',
  'ca',
  'insecure',
  'foreign-data-host',
  'help',
  'version',
];

/** The flags each verb takes beyond the common ones. */
const VERB_OPTIONS: Record<VerbName, readonly OptionName[]> = {
  ls: ['classify'],
  get: ['output', 'resume'],
  put: ['resume'],
  rm: ['recursive'],
  mkdir: [],
  mv: [],
  mirror: ['reverse', 'include', 'exclude', 'parallel'],
  shell: [],
};

/** How many arguments each verb takes after it: [min, max]. */
const ARITY: Record<VerbName, readonly [number, number]> = {
  ls: [1, 1],
  get: [1, 1],
  put: [2, 2],
  rm: [1, 1],
  mkdir: [1, 1],
  mv: [2, 2],
  mirror: [2, 2],
  shell: [0, 1],
};

export const MAX_PARALLEL = 16;

function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

function flagName(name: OptionName): string {
  const short = (OPTIONS[name] as { short?: string }).short;
  return short === undefined ? `--${name}` : `-${short}/--${name}`;
}

function parseParallel(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PARALLEL) {
    throw new UsageError(
      `--parallel takes a whole number from 1 to ${MAX_PARALLEL}, not ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/**
 * Reads the command line: flags may come before or after the verb (`ftpkit -v get URL`), the
 * last of --active/--passive wins, `--` ends the flags (for a local file named "-x"), and a lone
 * `-` is an argument (stdin or stdout). No verb means the interactive shell.
 * @throws UsageError for an unknown verb or flag, a flag the verb does not take, or a wrong
 *   number of arguments.
 */
export function parseCommandLine(argv: readonly string[]): Command {
  // Not strict: node's own messages for an unknown flag are long and mismatch their quotes, so the
  // flags are checked below, once the command (and so its usage line) is known.
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const [first, ...rest] = positionals;

  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help' };
    const verb = verbByName(topic);
    if (verb === undefined) throw new UsageError(`no help for unknown command ${JSON.stringify(topic)}`);
    return { kind: 'help', verb };
  }
  // `ftpkit ftp://host/` opens the shell there, as `lftp URL` does; only with the scheme, so that
  // a mistyped command is never taken for a host name.
  const urlFirst = first !== undefined && /^ftps?:\/\//i.test(first);
  const verb = first === undefined || urlFirst ? 'shell' : verbByName(first);
  if (verb === undefined) throw new UsageError(`unknown command ${JSON.stringify(first)}`);
  const usage = first === undefined || urlFirst ? undefined : verb;
  if (urlFirst) rest.unshift(first);
  const allowed = new Set<OptionName>([...COMMON, ...VERB_OPTIONS[verb]]);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const { name, rawName } = token;
    if (!isOptionName(name)) throw new UsageError(`unknown option ${rawName}`, usage);
    if (OPTIONS[name].type === 'string' && token.value === undefined) {
      throw new UsageError(`option ${rawName} needs a value`, usage);
    }
    if (OPTIONS[name].type === 'boolean' && token.value !== undefined) {
      throw new UsageError(`option ${rawName} takes no value`, usage);
    }
    if (!allowed.has(name)) throw new UsageError(`${verb} does not take ${flagName(name)}`, usage);
  }
  if (values.help === true) return usage === undefined ? { kind: 'help' } : { kind: 'help', verb };
  if (values.version === true) return { kind: 'version' };

  const [min, max] = ARITY[verb];
  if (rest.length < min || rest.length > max) {
    const wanted = min === max ? `${min}` : min === 0 ? `at most ${max}` : `${min} to ${max}`;
    throw new UsageError(
      `${verb} takes ${wanted} argument${max === 1 ? '' : 's'}, got ${rest.length}`,
      usage,
    );
  }

  let mode: DataMode = 'passive';
  for (const token of tokens) {
    if (token.kind === 'option' && (token.name === 'active' || token.name === 'passive')) mode = token.name;
  }
  const command: VerbCommand = {
    kind: 'verb',
    verb,
    args: rest,
    flags: {
      mode,
      quiet: values.quiet === true,
      verbose: values.verbose === true,
      ascii: values.ascii === true,
      tls: values.tls === true,
      insecure: values.insecure === true,
      foreignDataHost: values['foreign-data-host'] === true,
    },
    resume: values.resume === true,
    recursive: values.recursive === true,
    classify: values.classify === true,
    reverse: values.reverse === true,
    include: strings(values.include),
    exclude: strings(values.exclude),
  };
  if (typeof values.output === 'string') command.output = values.output;
  if (typeof values.ca === 'string') command.flags.ca = values.ca;
  const parallel = parseParallel(typeof values.parallel === 'string' ? values.parallel : undefined);
  if (parallel !== undefined) command.parallel = parallel;
  return command;
}

/** A repeatable string flag's values (parseArgs types them loosely when not strict). */
function strings(values: (string | boolean)[] | string | boolean | undefined): string[] {
  if (values === undefined || typeof values === 'boolean') return [];
  return (Array.isArray(values) ? values : [values]).filter((value) => typeof value === 'string');
}
