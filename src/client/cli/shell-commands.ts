import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, posix, resolve } from 'node:path';
import { FtpClient, isPlainName } from '../client.js';
import { ConnectionClosedError } from '../errors.js';
import type { DataMode, TransferOptions, TransferResult, TransferType } from '../options.js';
import { filterNames, hasGlob, splitGlob } from '../patterns.js';
import type { CompletionKind, NameEntry } from './completion.js';
import { resolveTarget, type ResolvedTarget } from './credentials.js';
import { formatListing } from './listing.js';
import type { ProgressReporter } from './progress.js';
import { formatHostPort, parseFtpUrl } from './url.js';
import { UsageError } from './usage-error.js';

/** What the shell remembers between commands. */
export interface ShellState {
  /** Set from a successful connect until `close` or a lost connection. */
  client: FtpClient | undefined;
  /** Used by the next transfer (the client is brought in line before every command). */
  mode: DataMode;
  type: TransferType;
  verbose: boolean;
  /** The shell's local directory (`lcd`); the process's own cwd never changes. */
  localDir: string;
}

/** What a command handler gets: the state, the output, and a signal that Ctrl-C fires. */
export interface ShellContext {
  readonly state: ShellState;
  readonly signal: AbortSignal;
  /** Input is a terminal: passwords can be asked for without echo. */
  readonly interactive: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly homedir: string;
  readonly progress: ProgressReporter;
  /** One line of normal output. */
  print(line: string): void;
  /** Prints an error and marks the command failed, and lets it go on (one file of an mget). */
  report(error: unknown): void;
  /** A problem that does not fail the command. */
  warn(line: string): void;
  /** An FtpClient wired to the shell (mode, type, verbose output). */
  newClient(): FtpClient;
  /** A password: asked without echo on a terminal, else read as the next input line. */
  askPassword(prompt: string): Promise<string>;
  /** Ends the shell after this command. */
  quit(): void;
}

export interface ShellCommand {
  name: string;
  aliases?: readonly string[];
  /** The arguments part of the usage line: `REMOTE [LOCAL]`. */
  usage: string;
  summary: string;
  /** How many arguments it takes: [min, max]. */
  args: readonly [number, number];
  /** What each argument completes to; the last kind repeats. None by default. */
  complete?: readonly CompletionKind[];
  /** Refuse to run without a connection ("Not connected."). */
  connected?: boolean;
  /** Changes the remote directory or tree: listings remembered for completion are dropped. */
  changesRemote?: boolean;
  run(ctx: ShellContext, args: readonly string[]): Promise<void>;
}

/** A failure explained by its message alone: bad usage, nothing matched, not connected. */
export class ShellError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellError';
  }
}

function connected(ctx: ShellContext): FtpClient {
  const client = ctx.state.client;
  if (client === undefined) throw new ShellError('Not connected.');
  return client;
}

function arg(args: readonly string[], index: number): string {
  const value = args[index];
  // The dispatcher checks the argument count first; this is for the compiler.
  if (value === undefined) throw new ShellError('missing argument');
  return value;
}

/** A local path typed in the shell: `~` is the home directory, relative paths start at `lcd`. */
export function resolveLocal(state: Pick<ShellState, 'localDir'>, homedir: string, path: string): string {
  if (path === '~') return homedir;
  if (path.startsWith('~/')) return join(homedir, path.slice(2));
  return resolve(state.localDir, path);
}

async function isLocalDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The last component of a remote path, which a download is named after. */
function remoteName(path: string): string {
  const name = posix.basename(path);
  if (!isPlainName(name)) throw new ShellError(`${path}: not a file name`);
  return name;
}

async function localTarget(ctx: ShellContext, given: string | undefined, name: string): Promise<string> {
  if (given === undefined) return join(ctx.state.localDir, name);
  const path = resolveLocal(ctx.state, ctx.homedir, given);
  return (await isLocalDirectory(path)) ? join(path, name) : path;
}

/** One transfer with its progress bar (or summary line). */
async function transfer(
  ctx: ShellContext,
  name: string,
  run: (options: TransferOptions) => Promise<TransferResult>,
): Promise<void> {
  await ctx.progress.track(name, (onProgress) => run({ signal: ctx.signal, onProgress }));
}

/**
 * Runs `each` for every item, reporting a failure and going on with the next, as mget and mput
 * do; a lost connection or Ctrl-C stops the lot.
 */
async function forEachReporting<T>(
  ctx: ShellContext,
  items: readonly T[],
  each: (item: T) => Promise<void>,
): Promise<void> {
  for (const item of items) {
    try {
      await each(item);
    } catch (error) {
      if (ctx.signal.aborted || error instanceof ConnectionClosedError) throw error;
      ctx.report(error);
    }
  }
}

function splitPattern(pattern: string): { dir: string; glob: string } {
  const { dir, glob } = splitGlob(pattern);
  if (glob.includes('/')) {
    throw new ShellError(`${pattern}: wildcards are allowed in the last part of a path only`);
  }
  return { dir, glob };
}

/** The remote files a pattern names: a listing of its directory, matched; a plain path as it is. */
async function remoteMatches(ctx: ShellContext, pattern: string): Promise<string[]> {
  if (!hasGlob(pattern)) return [pattern];
  const { dir, glob } = splitPattern(pattern);
  const entries = await connected(ctx).list(dir === '' ? undefined : dir, { signal: ctx.signal });
  // Listing names are joined to the directory, never trusted as paths.
  const files = entries.filter((entry) => entry.type === 'file' && isPlainName(entry.name));
  const names = filterNames(
    files.map((entry) => entry.name),
    glob,
    { dot: false },
  ).sort();
  if (names.length === 0) throw new ShellError(`${pattern}: no remote files match`);
  return names.map((name) => (dir === '' ? name : posix.join(dir, name)));
}

async function isLocalFile(entry: Dirent, dir: string): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await stat(join(dir, entry.name))).isFile();
  } catch {
    return false;
  }
}

/** The local files a pattern names, as absolute paths. */
async function localMatches(ctx: ShellContext, pattern: string): Promise<string[]> {
  if (!hasGlob(pattern)) return [resolveLocal(ctx.state, ctx.homedir, pattern)];
  const { dir, glob } = splitPattern(pattern);
  const base = resolveLocal(ctx.state, ctx.homedir, dir === '' ? '.' : dir);
  const files: string[] = [];
  for (const entry of await readdir(base, { withFileTypes: true })) {
    if (await isLocalFile(entry, base)) files.push(entry.name);
  }
  const names = filterNames(files, glob, { dot: false }).sort();
  if (names.length === 0) throw new ShellError(`${pattern}: no local files match`);
  return names.map((name) => join(base, name));
}

/** Connects, logs in and enters the target's path; the client stays connected if login fails. */
export async function openTarget(ctx: ShellContext, target: ResolvedTarget): Promise<void> {
  const where = formatHostPort(target.host, target.port);
  const client = ctx.newClient();
  const connecting = client.connect({ host: target.host, port: target.port });
  try {
    await untilAborted(connecting, ctx.signal);
  } catch (error) {
    // Interrupted while connecting: the connection may still come up, and must then be closed.
    void connecting.then(
      () => client.close(),
      () => undefined,
    );
    if (error instanceof ConnectionClosedError)
      throw new ShellError(`cannot connect to ${where}: ${error.message}`);
    throw error;
  }
  ctx.state.client = client;
  ctx.print(`Connected to ${where}.`);
  await client.login(target.user, target.password);
  ctx.print(`Logged in as ${target.user}.`);
  if (target.path !== '') await client.cd(target.path);
}

/** Rejects with the signal's reason as soon as it fires, even if `promise` cannot be cancelled. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = (): void => {
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The operation was aborted.', 'AbortError');
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65535) throw new ShellError(`bad port: ${text}`);
  return port;
}

/** Control characters from the server (names, reply texts) must not drive the terminal. */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
}

function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}

function describeMode(mode: DataMode): string {
  return mode === 'passive'
    ? 'passive (the client connects: EPSV, else PASV)'
    : 'active (the server connects back: EPRT, else PORT)';
}

export const COMMANDS: readonly ShellCommand[] = [
  {
    name: 'open',
    aliases: ['connect'],
    usage: 'HOST [PORT] | URL',
    summary: 'connect and log in (credentials from the URL, FTPKIT_USER/PASSWORD, ~/.netrc, else anonymous)',
    args: [1, 2],
    changesRemote: true,
    async run(ctx, args) {
      const current = ctx.state.client;
      if (current?.isOpen === true) {
        const where = formatHostPort(current.host ?? '?', current.port ?? 21);
        throw new ShellError(`Already connected to ${where}; use close first.`);
      }
      const url = parseFtpUrl(arg(args, 0));
      const port = args[1];
      if (port !== undefined) url.port = parsePort(port);
      const target = await resolveTarget(url, ctx.env, ctx.homedir, {
        warn: (message) => ctx.warn(message),
        ...(ctx.interactive ? { promptPassword: (prompt: string) => ctx.askPassword(prompt) } : {}),
      });
      await openTarget(ctx, target);
    },
  },
  {
    name: 'user',
    aliases: ['login'],
    usage: 'NAME [PASSWORD]',
    summary: 'log in again as NAME (the password is asked for when not given)',
    args: [1, 2],
    connected: true,
    changesRemote: true,
    async run(ctx, args) {
      let client = connected(ctx);
      const name = arg(args, 0);
      const password = args[1] ?? (await ctx.askPassword('Password: '));
      if (client.isLoggedIn) {
        // Most servers refuse USER once logged in and few offer REIN: a new session is the sure way.
        const host = client.host ?? '';
        const port = client.port ?? 21;
        ctx.state.client = undefined;
        await client.close();
        client = ctx.newClient();
        await client.connect({ host, port });
        ctx.state.client = client;
      }
      await client.login(name, password);
      ctx.print(`Logged in as ${name}.`);
    },
  },
  {
    name: 'close',
    aliases: ['disconnect'],
    usage: '',
    summary: 'log out and disconnect (the shell stays)',
    args: [0, 0],
    connected: true,
    changesRemote: true,
    async run(ctx) {
      const client = connected(ctx);
      ctx.state.client = undefined;
      await client.close();
      ctx.print('Disconnected.');
    },
  },
  {
    name: 'ls',
    usage: '[PATH]',
    summary: 'list names in a remote directory (directories end in /)',
    args: [0, 1],
    complete: ['remote'],
    connected: true,
    async run(ctx, args) {
      const entries = await connected(ctx).list(args[0], { signal: ctx.signal });
      const names = entries
        .map((entry) => printable(entry.name) + (entry.type === 'dir' ? '/' : ''))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const name of names) ctx.print(name);
    },
  },
  {
    name: 'dir',
    aliases: ['ll'],
    usage: '[PATH]',
    summary: 'long listing of a remote directory (type, permissions, size, time, name)',
    args: [0, 1],
    complete: ['remote'],
    connected: true,
    async run(ctx, args) {
      const entries = await connected(ctx).list(args[0], { signal: ctx.signal });
      for (const line of formatListing(entries)) ctx.print(line);
    },
  },
  {
    name: 'cd',
    aliases: ['cwd'],
    usage: 'DIR',
    summary: 'change the remote directory',
    args: [1, 1],
    complete: ['remote-dir'],
    connected: true,
    changesRemote: true,
    async run(ctx, args) {
      await connected(ctx).cd(arg(args, 0));
    },
  },
  {
    name: 'cdup',
    usage: '',
    summary: 'go to the parent remote directory',
    args: [0, 0],
    connected: true,
    changesRemote: true,
    async run(ctx) {
      await connected(ctx).cdup();
    },
  },
  {
    name: 'pwd',
    usage: '',
    summary: 'print the remote directory',
    args: [0, 0],
    connected: true,
    async run(ctx) {
      ctx.print(printable(await connected(ctx).pwd()));
    },
  },
  {
    name: 'lcd',
    usage: '[DIR]',
    summary: 'change the local directory (home when no DIR)',
    args: [0, 1],
    complete: ['local-dir'],
    async run(ctx, args) {
      const dir = resolveLocal(ctx.state, ctx.homedir, args[0] ?? '~');
      if (!(await isLocalDirectory(dir))) throw new ShellError(`${dir}: not a local directory`);
      ctx.state.localDir = dir;
      ctx.print(`Local directory now ${dir}`);
    },
  },
  {
    name: 'lpwd',
    usage: '',
    summary: 'print the local directory',
    args: [0, 0],
    run(ctx) {
      ctx.print(ctx.state.localDir);
      return Promise.resolve();
    },
  },
  {
    name: 'get',
    aliases: ['recv'],
    usage: 'REMOTE [LOCAL]',
    summary: 'download a file (into the local directory, or as LOCAL)',
    args: [1, 2],
    complete: ['remote', 'local'],
    connected: true,
    async run(ctx, args) {
      const remote = arg(args, 0);
      const name = remoteName(remote);
      const local = await localTarget(ctx, args[1], name);
      await transfer(ctx, name, (options) => connected(ctx).download(remote, local, options));
    },
  },
  {
    name: 'put',
    aliases: ['send'],
    usage: 'LOCAL [REMOTE]',
    summary: 'upload a file (under its own name, or as REMOTE; REMOTE/ puts it in that directory)',
    args: [1, 2],
    complete: ['local', 'remote'],
    connected: true,
    changesRemote: true,
    async run(ctx, args) {
      const local = resolveLocal(ctx.state, ctx.homedir, arg(args, 0));
      const name = basename(local);
      const given = args[1];
      const remote = given === undefined ? name : given.endsWith('/') ? given + name : given;
      await transfer(ctx, name, (options) => connected(ctx).upload(local, remote, options));
    },
  },
  {
    name: 'mget',
    usage: 'PATTERN...',
    summary: 'download every remote file matching each pattern (sub/*.txt) into the local directory',
    args: [1, Infinity],
    complete: ['remote'],
    connected: true,
    async run(ctx, args) {
      await forEachReporting(ctx, args, async (pattern) => {
        const paths = await remoteMatches(ctx, pattern);
        await forEachReporting(ctx, paths, async (remote) => {
          const name = remoteName(remote);
          const local = join(ctx.state.localDir, name);
          await transfer(ctx, name, (options) => connected(ctx).download(remote, local, options));
        });
      });
    },
  },
  {
    name: 'mput',
    usage: 'PATTERN...',
    summary: 'upload every local file matching each pattern (*.log) into the remote directory',
    args: [1, Infinity],
    complete: ['local'],
    connected: true,
    changesRemote: true,
    async run(ctx, args) {
      await forEachReporting(ctx, args, async (pattern) => {
        const paths = await localMatches(ctx, pattern);
        await forEachReporting(ctx, paths, async (local) => {
          const name = basename(local);
          await transfer(ctx, name, (options) => connected(ctx).upload(local, name, options));
        });
      });
    },
  },
  {
    name: 'mkdir',
    usage: 'DIR',
    summary: 'create a remote directory',
    args: [1, 1],
    complete: ['remote-dir'],
    connected: true,
    changesRemote: true,
    async run(ctx, args) {
      await connected(ctx).mkdir(arg(args, 0));
    },
  },
  {
    name: 'rmdir',
    usage: 'DIR',
    summary: 'remove an empty remote directory',
    args: [1, 1],
    complete: ['remote-dir'],
    connected: true,
    changesRemote: true,
    async run(ctx, args) {
      await connected(ctx).removeDir(arg(args, 0));
    },
  },
  {
    name: 'delete',
    aliases: ['rm', 'del'],
    usage: 'FILE',
    summary: 'delete a remote file',
    args: [1, 1],
    complete: ['remote'],
    connected: true,
    changesRemote: true,
    async run(ctx, args) {
      await connected(ctx).remove(arg(args, 0));
    },
  },
  {
    name: 'rename',
    aliases: ['mv'],
    usage: 'FROM TO',
    summary: 'rename or move a remote file or directory',
    args: [2, 2],
    complete: ['remote'],
    connected: true,
    changesRemote: true,
    async run(ctx, args) {
      await connected(ctx).rename(arg(args, 0), arg(args, 1));
    },
  },
  {
    name: 'passive',
    usage: '',
    summary: 'passive mode from the next transfer on: the client connects (EPSV, else PASV)',
    args: [0, 0],
    run(ctx) {
      ctx.state.mode = 'passive';
      ctx.print('Passive mode on.');
      return Promise.resolve();
    },
  },
  {
    name: 'active',
    usage: '',
    summary: 'active mode from the next transfer on: the server connects back (EPRT, else PORT)',
    args: [0, 0],
    run(ctx) {
      ctx.state.mode = 'active';
      ctx.print('Active mode on.');
      return Promise.resolve();
    },
  },
  {
    name: 'binary',
    aliases: ['bin', 'image'],
    usage: '',
    summary: 'transfer files byte for byte (TYPE I, the default)',
    args: [0, 0],
    run(ctx) {
      ctx.state.type = 'binary';
      ctx.print('Type set to binary.');
      return Promise.resolve();
    },
  },
  {
    name: 'ascii',
    usage: '',
    summary: 'transfer text files, converting line endings (TYPE A)',
    args: [0, 0],
    run(ctx) {
      ctx.state.type = 'ascii';
      ctx.print('Type set to ascii.');
      return Promise.resolve();
    },
  },
  {
    name: 'verbose',
    usage: '[on|off]',
    summary: 'show the protocol exchange ("> " sent, "< " received; passwords masked)',
    args: [0, 1],
    run(ctx, args) {
      const wanted = args[0]?.toLowerCase();
      if (wanted !== undefined && wanted !== 'on' && wanted !== 'off')
        throw new ShellError('usage: verbose [on|off]');
      ctx.state.verbose = wanted === undefined ? !ctx.state.verbose : wanted === 'on';
      ctx.print(`Verbose mode ${onOff(ctx.state.verbose)}.`);
      return Promise.resolve();
    },
  },
  {
    name: 'status',
    usage: '',
    summary: 'show the connection, user, mode, type and directories',
    args: [0, 0],
    async run(ctx) {
      const { client } = ctx.state;
      if (client?.isOpen === true) {
        const where = formatHostPort(client.host ?? '?', client.port ?? 21);
        ctx.print(`Connected to ${where}.`);
        ctx.print(client.isLoggedIn ? `Logged in as ${client.user ?? '?'}.` : 'Not logged in.');
        if (client.isLoggedIn) {
          const cwd = await client.pwd().catch(() => '?');
          ctx.print(`Remote directory: ${printable(cwd)}`);
        }
      } else {
        ctx.print('Not connected.');
      }
      ctx.print(`Local directory: ${ctx.state.localDir}`);
      ctx.print(`Mode: ${describeMode(ctx.state.mode)}`);
      ctx.print(`Type: ${ctx.state.type}`);
      ctx.print(`Verbose: ${onOff(ctx.state.verbose)}`);
    },
  },
  {
    name: 'help',
    aliases: ['?'],
    usage: '[COMMAND]',
    summary: 'list the commands, or describe one',
    args: [0, 1],
    complete: ['command'],
    run(ctx, args) {
      const topic = args[0];
      if (topic === undefined) {
        const width = Math.max(...COMMANDS.map((command) => command.name.length));
        ctx.print('Commands (help COMMAND for its usage):');
        for (const command of COMMANDS) ctx.print(`  ${command.name.padEnd(width)}  ${command.summary}`);
        return Promise.resolve();
      }
      const command = findCommand(topic);
      if (command === undefined) throw new ShellError(`?Invalid help command ${topic}`);
      ctx.print(`usage: ${usageLine(command)}`);
      ctx.print(command.summary);
      if (command.aliases !== undefined) ctx.print(`also: ${command.aliases.join(', ')}`);
      return Promise.resolve();
    },
  },
  {
    name: 'quit',
    aliases: ['bye', 'exit'],
    usage: '',
    summary: 'disconnect and leave the shell (Ctrl-D too)',
    args: [0, 0],
    run(ctx) {
      ctx.quit();
      return Promise.resolve();
    },
  },
];

const BY_NAME: ReadonlyMap<string, ShellCommand> = new Map(
  COMMANDS.flatMap((command) =>
    [command.name, ...(command.aliases ?? [])].map((name) => [name, command] as const),
  ),
);

/** The command a name or alias stands for (case-insensitive, as in ftp). */
export function findCommand(name: string): ShellCommand | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Every name and alias, for completion. */
export function commandNames(): string[] {
  return [...BY_NAME.keys()];
}

export function usageLine(command: ShellCommand): string {
  return command.usage === '' ? command.name : `${command.name} ${command.usage}`;
}

/** What argument `index` of the named command completes to (the last declared kind repeats). */
export function argumentKind(name: string, index: number): CompletionKind | undefined {
  const command = findCommand(name);
  if (command === undefined) return undefined;
  const kinds = command.complete ?? [];
  return kinds[Math.min(index, kinds.length - 1)] ?? 'none';
}

/** The names in a local directory, for completion. */
export async function listLocalNames(dir: string): Promise<NameEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return Promise.all(
    entries.map(async (entry) => {
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) isDir = await isLocalDirectory(join(dir, entry.name));
      return { name: entry.name, dir: isDir };
    }),
  );
}

/** A usage error from the URL parser reads as a shell error. */
export function isUserError(error: unknown): error is ShellError | UsageError {
  return error instanceof ShellError || error instanceof UsageError;
}
