import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { isPermanentFailure, isPlainName, type FileEntry } from '../../protocol/index.js';
import type { FtpClient } from '../client.js';
import { ConnectionClosedError, FtpReplyError } from '../errors.js';
import type { DataMode, TransferOptions, TransferResult, TransferType } from '../options.js';
import { filterNames, hasGlob, splitGlob } from '../patterns.js';
import type { CompletionKind, NameEntry } from './completion.js';
import { resolveTarget } from './credentials.js';
import { formatListing, shownName, sortEntries } from './listing.js';
import { downloadTarget, isLocalDirectory, localMatches, localPath } from './local-files.js';
import type { ProgressReporter } from './progress.js';
import { removeFile } from './remote-files.js';
import {
  connectionSecurity,
  readCaFile,
  secureMode,
  withForeignDataHost,
  type ConnectionSecurity,
  type TlsDefaults,
  type Trust,
} from './security.js';
import { keepOpen } from './output-stream.js';
import { ShellError } from './shell-error.js';
import { openSession, type RemoteSession, type SessionIo } from './shell-session.js';
import { printable } from './terminal-text.js';
import { formatHostPort, parseFtpUrl, parsePort } from './url.js';

/** What the shell remembers between commands. */
export interface ShellState {
  /** From `open` until `close` or a lost connection. */
  session: RemoteSession | undefined;
  /** Used by the next transfer (the client is brought in line before every command). */
  mode: DataMode;
  type: TransferType;
  verbose: boolean;
  /** The shell's local directory (`lcd`); the process's own cwd never changes. */
  localDir: string;
}

/** What a command handler gets: the state, the output, and a signal that Ctrl-C fires. */
export interface ShellContext extends SessionIo {
  readonly state: ShellState;
  readonly env: NodeJS.ProcessEnv;
  readonly homedir: string;
  /** The command line's --tls, --ca and --insecure. */
  readonly tlsDefaults: TlsDefaults;
  /** The command line's --foreign-data-host, for every open. */
  readonly foreignDataHost: boolean;
  /** Where the shell prints: `get REMOTE -` writes the file there. */
  readonly output: NodeJS.WritableStream;
  readonly progress: ProgressReporter;
  /**
   * Prints an error and marks the command failed, and lets it go on (one file of an mget);
   * `item` names what failed within the command.
   */
  report(error: unknown, item?: string): void;
  /** A problem that does not fail the command. */
  warn(line: string): void;
  /** Ends the shell after this command. */
  quit(): void;
}

export interface ShellCommand {
  name: string;
  aliases?: readonly string[];
  /** The arguments part of the usage line: `REMOTE [LOCAL]`. */
  usage: string;
  summary: string;
  /** How many arguments it takes, flags not counted: [min, max]. */
  args: readonly [number, number];
  /** The one-letter flags it takes before its arguments (`ls -F`). */
  flags?: string;
  /** The long options it takes before its arguments: a switch (`--tls`) or with a value (`--ca FILE`). */
  options?: Readonly<Record<string, 'switch' | 'value'>>;
  /** What each argument completes to; the last kind repeats. None by default. */
  complete?: readonly CompletionKind[];
  /**
   * What must be there first: a connection ("Not connected." otherwise), or a login too (the
   * dispatcher logs in as the known user, or anonymously, when none was tried yet).
   */
  needs?: 'connection' | 'login';
  /** Changes the remote directory or tree: listings remembered for completion are dropped. */
  changesRemote?: boolean;
  /** `flags` holds the one-letter flags and long switches given, `values` the long options' values. */
  run(
    ctx: ShellContext,
    args: readonly string[],
    flags: ReadonlySet<string>,
    values: ReadonlyMap<string, string>,
  ): Promise<void>;
}

function session(ctx: ShellContext): RemoteSession {
  const current = ctx.state.session;
  if (current === undefined) throw new ShellError('Not connected.');
  return current;
}

/** The client of a command that needs a login (the dispatcher saw to it). */
function remote(ctx: ShellContext): FtpClient {
  return session(ctx).client;
}

function arg(args: readonly string[], index: number): string {
  const value = args[index];
  // The dispatcher checks the argument count first; this is for the compiler.
  if (value === undefined) throw new ShellError('missing argument');
  return value;
}

/** A local path typed in the shell: `~` is the home directory, relative paths start at `lcd`. */
export function resolveLocal(state: Pick<ShellState, 'localDir'>, homedir: string, path: string): string {
  return localPath(state.localDir, homedir, path);
}

/** The last component of a remote path, which a download is named after. */
function remoteName(path: string): string {
  const name = posix.basename(path);
  if (!isPlainName(name)) throw new ShellError(`${printable(path)}: not a file name`);
  return name;
}

/** One transfer with its progress bar (or summary line). */
async function transfer(
  ctx: ShellContext,
  name: string,
  run: (options: TransferOptions) => Promise<TransferResult>,
): Promise<void> {
  await ctx.progress.track(name, (onProgress) =>
    run({ signal: ctx.signal, ...(onProgress && { onProgress }) }),
  );
}

/**
 * Runs `each` for every item, reporting a failure (named by `label`) and going on with the next,
 * as mget and mput do; a lost connection or Ctrl-C stops the lot.
 */
async function forEachReporting<T>(
  ctx: ShellContext,
  items: readonly T[],
  label: (item: T) => string,
  each: (item: T) => Promise<void>,
): Promise<void> {
  for (const item of items) {
    try {
      await each(item);
    } catch (error) {
      if (ctx.signal.aborted || error instanceof ConnectionClosedError) throw error;
      ctx.report(error, label(item));
    }
  }
}

/** A remote file an mget pattern named: its path, and whether the listing showed it as a link. */
interface RemoteMatch {
  path: string;
  link: boolean;
}

/**
 * The remote files a pattern names (a wildcard in its last part only): the files and links of a
 * listing of its directory, matched, in name order; a plain path is taken as it is.
 */
async function remoteMatches(ctx: ShellContext, pattern: string): Promise<RemoteMatch[]> {
  if (!hasGlob(pattern)) return [{ path: pattern, link: false }];
  const { dir, glob } = splitGlob(pattern);
  if (glob.includes('/')) {
    throw new ShellError(`${printable(pattern)}: wildcards are allowed in the last part of a path only`);
  }
  const entries = await remote(ctx).list(dir === '' ? undefined : dir, { signal: ctx.signal });
  // Listing names are joined to the directory, never trusted as paths. Links are taken, as lftp
  // and tnftp take them: one that leads to a directory is found out when fetched.
  const byName = new Map<string, FileEntry>();
  for (const entry of entries) {
    if ((entry.type === 'file' || entry.type === 'link') && isPlainName(entry.name))
      byName.set(entry.name, entry);
  }
  const names = filterNames(byName.keys(), glob, { dot: false }).sort();
  if (names.length === 0) throw new ShellError(`${printable(pattern)}: no remote files match`);
  return names.map((name) => ({
    path: dir === '' ? name : posix.join(dir, name),
    link: byName.get(name)?.type === 'link',
  }));
}

/**
 * Downloads one file an mget matched. A link that turns out to lead to a directory is reported
 * as such and skipped, not taken for a failed download.
 */
async function getMatch(ctx: ShellContext, match: RemoteMatch): Promise<void> {
  const name = remoteName(match.path);
  const local = join(ctx.state.localDir, name);
  try {
    await transfer(ctx, name, (options) => remote(ctx).download(match.path, local, options));
  } catch (error) {
    if (
      match.link &&
      error instanceof FtpReplyError &&
      isPermanentFailure(error.replyCode) &&
      (await remote(ctx)
        .isDirectory(match.path)
        .catch(() => false))
    ) {
      ctx.warn(`${printable(match.path)}: a link to a directory; skipped`);
      return;
    }
    throw error;
  }
}

function onOff(value: boolean): string {
  return value ? 'on' : 'off';
}

function describeMode(mode: DataMode): string {
  return mode === 'passive'
    ? 'passive (the client connects: EPSV, else PASV)'
    : 'active (the server connects back: EPRT, else PORT)';
}

/**
 * The checks of an `open`: the shell's command line, with what `open` itself says added (--tls,
 * --ca FILE, --insecure, --foreign-data-host); an ftps:// URL is implicit FTPS.
 * @throws ShellError for --ca or --insecure without TLS, or a --ca file that cannot serve.
 */
async function openSecurity(
  ctx: ShellContext,
  implicitTls: boolean,
  flags: ReadonlySet<string>,
  values: ReadonlyMap<string, string>,
): Promise<ConnectionSecurity> {
  const defaults = ctx.tlsDefaults;
  const secure = secureMode(implicitTls, defaults.tls || flags.has('tls'));
  const ca = values.get('ca');
  const insecure = flags.has('insecure');
  if (secure === false && (ca !== undefined || insecure)) {
    throw new ShellError(`${insecure ? '--insecure' : '--ca'} needs --tls or an ftps:// URL`);
  }
  const trust: Trust = { insecure: insecure || defaults.trust.insecure };
  if (ca !== undefined) {
    try {
      trust.ca = await readCaFile(resolveLocal(ctx.state, ctx.homedir, ca), ca);
    } catch (error) {
      throw new ShellError((error as Error).message);
    }
  } else if (defaults.trust.ca !== undefined) {
    trust.ca = defaults.trust.ca;
  }
  return withForeignDataHost(
    connectionSecurity(secure, trust),
    ctx.foreignDataHost || flags.has('foreign-data-host'),
  );
}

/** The status line about TLS: the protocol, how it started, and whether the data is protected. */
function describeTls(client: FtpClient, security: ConnectionSecurity): string {
  const tls = client.tls;
  if (tls === undefined || security.secure === false) return 'TLS: off (plain FTP)';
  const how = security.secure === 'implicit' ? 'implicit FTPS' : 'explicit FTPS (AUTH TLS)';
  const unchecked = security.rejectUnauthorized === false ? ', certificate not checked (--insecure)' : '';
  const data = tls.dataProtected
    ? 'data connections protected (PROT P)'
    : 'data connections in clear (PROT C)';
  return `TLS: ${tls.version}, ${how}${unchecked}; ${data}`;
}

/** Ends the session, if any; QUIT is polite, not required. */
async function closeSession(ctx: ShellContext): Promise<void> {
  const current = ctx.state.session;
  ctx.state.session = undefined;
  await current?.client.close().catch(() => undefined);
}

export const COMMANDS: readonly ShellCommand[] = [
  {
    name: 'open',
    aliases: ['connect'],
    usage: '[--tls] [--ca FILE] [--insecure] [--foreign-data-host] HOST [PORT] | URL',
    summary:
      'connect (FTPS: --tls, or an ftps:// URL), and log in as the user the URL, environment or ~/.netrc names',
    args: [1, 2],
    options: { tls: 'switch', ca: 'value', insecure: 'switch', 'foreign-data-host': 'switch' },
    changesRemote: true,
    async run(ctx, args, flags, values) {
      const current = ctx.state.session;
      if (current?.client.isOpen === true) {
        throw new ShellError(`Already connected to ${current.where}; use close first.`);
      }
      const url = parseFtpUrl(arg(args, 0));
      const port = args[1];
      if (port !== undefined) url.port = parsePort(port);
      const security = await openSecurity(ctx, url.implicitTls === true, flags, values);
      const target = await resolveTarget(url, ctx.env, ctx.homedir, {
        warn: (message) => ctx.warn(message),
        ...(ctx.interactive ? { promptPassword: (prompt: string) => ctx.askPassword(prompt) } : {}),
      });
      await openSession(ctx, target, security, (opened) => {
        ctx.state.session = opened;
      });
    },
  },
  {
    name: 'user',
    aliases: ['login'],
    usage: 'NAME [PASSWORD]',
    summary: 'log in as NAME (without it: asked for on a terminal, anonymous at the first command)',
    args: [1, 2],
    needs: 'connection',
    changesRemote: true,
    async run(ctx, args) {
      let current = session(ctx);
      const name = arg(args, 0);
      const password = args[1] ?? (await ctx.askPassword('Password: '));
      if (current.loginTried) {
        // Most servers refuse a second USER (ftp-srv: "530 Username already set") and few offer
        // REIN: a new connection is the sure way.
        ctx.state.session = undefined;
        current = await current.reopen(ctx);
        ctx.state.session = current;
      }
      await current.logIn(name, password, (line) => ctx.print(line));
    },
  },
  {
    name: 'close',
    aliases: ['disconnect'],
    usage: '',
    summary: 'log out and disconnect (the shell stays)',
    args: [0, 0],
    needs: 'connection',
    changesRemote: true,
    async run(ctx) {
      await closeSession(ctx);
      ctx.print('Disconnected.');
    },
  },
  {
    name: 'ls',
    usage: '[-F] [PATH]',
    summary: 'list the names in a remote directory (-F: "/" after directories, "@" after links)',
    args: [0, 1],
    flags: 'F',
    complete: ['remote'],
    needs: 'login',
    async run(ctx, args, flags) {
      const entries = await remote(ctx).list(args[0], { signal: ctx.signal });
      const classify = flags.has('F');
      for (const entry of sortEntries(entries)) ctx.print(shownName(entry, { classify }));
    },
  },
  {
    name: 'dir',
    aliases: ['ll'],
    usage: '[-F] [PATH]',
    summary: 'long listing of a remote directory (type, permissions, size, time, name)',
    args: [0, 1],
    flags: 'F',
    complete: ['remote'],
    needs: 'login',
    async run(ctx, args, flags) {
      const entries = await remote(ctx).list(args[0], { signal: ctx.signal });
      for (const line of formatListing(entries, { classify: flags.has('F') })) ctx.print(line);
    },
  },
  {
    name: 'cd',
    aliases: ['cwd'],
    usage: 'DIR',
    summary: 'change the remote directory',
    args: [1, 1],
    complete: ['remote-dir'],
    needs: 'login',
    changesRemote: true,
    async run(ctx, args) {
      await remote(ctx).cd(arg(args, 0));
    },
  },
  {
    name: 'cdup',
    usage: '',
    summary: 'go to the parent remote directory',
    args: [0, 0],
    needs: 'login',
    changesRemote: true,
    async run(ctx) {
      await remote(ctx).cdup();
    },
  },
  {
    name: 'pwd',
    usage: '',
    summary: 'print the remote directory',
    args: [0, 0],
    needs: 'login',
    async run(ctx) {
      ctx.print(printable(await remote(ctx).pwd()));
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
    summary: 'download a file (into the local directory, or as LOCAL; LOCAL - prints it)',
    args: [1, 2],
    complete: ['remote', 'local'],
    needs: 'login',
    async run(ctx, args) {
      const path = arg(args, 0);
      const name = remoteName(path);
      if (args[1] === '-') {
        // ftp(1)'s "-": the output. No progress line, which would land in the middle of the file.
        await remote(ctx).download(path, keepOpen(ctx.output, 'the output'), { signal: ctx.signal });
        return;
      }
      const local = await downloadTarget(
        args[1],
        name,
        (given) => resolveLocal(ctx.state, ctx.homedir, given),
        {
          make: true,
        },
      );
      await transfer(ctx, name, (options) => remote(ctx).download(path, local, options));
    },
  },
  {
    name: 'put',
    aliases: ['send'],
    usage: 'LOCAL [REMOTE]',
    summary: 'upload a file (under its own name, or as REMOTE; REMOTE/ puts it in that directory)',
    args: [1, 2],
    complete: ['local', 'remote'],
    needs: 'login',
    changesRemote: true,
    async run(ctx, args) {
      const local = resolveLocal(ctx.state, ctx.homedir, arg(args, 0));
      const name = basename(local);
      const given = args[1];
      const path = given === undefined ? name : given.endsWith('/') ? given + name : given;
      await transfer(ctx, name, (options) => remote(ctx).upload(local, path, options));
    },
  },
  {
    name: 'mget',
    usage: 'PATTERN...',
    summary: 'download every remote file matching each pattern (sub/*.txt) into the local directory',
    args: [1, Infinity],
    complete: ['remote'],
    needs: 'login',
    async run(ctx, args) {
      await forEachReporting(ctx, args, printable, async (pattern) => {
        const matches = await remoteMatches(ctx, pattern);
        await forEachReporting(
          ctx,
          matches,
          (match) => printable(match.path),
          (match) => getMatch(ctx, match),
        );
      });
    },
  },
  {
    name: 'mput',
    usage: 'PATTERN...',
    summary: 'upload every local file matching each pattern (*.log) into the remote directory',
    args: [1, Infinity],
    complete: ['local'],
    needs: 'login',
    changesRemote: true,
    async run(ctx, args) {
      await forEachReporting(ctx, args, printable, async (pattern) => {
        const paths = await localMatches(ctx.state.localDir, ctx.homedir, pattern);
        await forEachReporting(ctx, paths, basename, async (local) => {
          const name = basename(local);
          await transfer(ctx, name, (options) => remote(ctx).upload(local, name, options));
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
    needs: 'login',
    changesRemote: true,
    async run(ctx, args) {
      await remote(ctx).mkdir(arg(args, 0));
    },
  },
  {
    name: 'rmdir',
    usage: 'DIR',
    summary: 'remove an empty remote directory',
    args: [1, 1],
    complete: ['remote-dir'],
    needs: 'login',
    changesRemote: true,
    async run(ctx, args) {
      await remote(ctx).removeDir(arg(args, 0));
    },
  },
  {
    name: 'delete',
    aliases: ['rm', 'del'],
    usage: 'FILE',
    summary: 'delete a remote file',
    args: [1, 1],
    complete: ['remote'],
    needs: 'login',
    changesRemote: true,
    async run(ctx, args) {
      await removeFile(remote(ctx), arg(args, 0), 'rmdir removes an empty one');
    },
  },
  {
    name: 'rename',
    aliases: ['mv'],
    usage: 'FROM TO',
    summary: 'rename or move a remote file or directory',
    args: [2, 2],
    complete: ['remote'],
    needs: 'login',
    changesRemote: true,
    async run(ctx, args) {
      await remote(ctx).rename(arg(args, 0), arg(args, 1));
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
    summary: 'show the connection, its TLS, user, mode, type and directories',
    args: [0, 0],
    async run(ctx) {
      const current = ctx.state.session;
      const client = current?.client;
      if (current !== undefined && client?.isOpen === true) {
        const where = formatHostPort(client.host ?? '?', client.port ?? 21);
        ctx.print(`Connected to ${where}.`);
        ctx.print(describeTls(client, current.security));
        ctx.print(client.isLoggedIn ? `Logged in as ${printable(client.user ?? '?')}.` : 'Not logged in.');
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
  return nameEntries(dir, await readdir(dir, { withFileTypes: true }));
}

/** The names in a local directory's entries that are directories, links to one included. */
async function nameEntries(dir: string, entries: readonly Dirent[]): Promise<NameEntry[]> {
  return Promise.all(
    entries.map(async (entry) => {
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) isDir = await isLocalDirectory(join(dir, entry.name));
      return { name: entry.name, dir: isDir };
    }),
  );
}
