import { stat } from 'node:fs/promises';
import { basename, posix, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { baseName, resolvePath, type FileEntry } from '../../protocol/index.js';
import type { FtpClient } from '../client.js';
import { FtpReplyError } from '../errors.js';
import type { MirrorFileEvent } from '../mirror.js';
import type { VerbCommand } from './args.js';
import type { ResolvedTarget } from './credentials.js';
import { formatListing } from './listing.js';
import { keepOpen } from './output-stream.js';
import { downloadTarget } from './local-files.js';
import type { ProgressReporter } from './progress.js';
import { removeFile } from './remote-files.js';
import { errorLine, printable } from './terminal-text.js';
import { parseFtpUrl, type FtpUrl } from './url.js';
import { UsageError } from './usage-error.js';

/** What a verb works with: a logged-in client and the CLI's streams. */
export interface VerbContext {
  client: FtpClient;
  target: ResolvedTarget;
  command: VerbCommand;
  stdin: Readable;
  stdout: NodeJS.WritableStream;
  /** Messages (not errors) for the user; silent with --quiet. */
  info: (line: string) => void;
  /** Problems that do not stop the command (a file a mirror could not copy); shown even with --quiet. */
  warn: (line: string) => void;
  progress: ProgressReporter;
  /** Local paths are resolved against this. */
  cwd: string;
  signal: AbortSignal;
}

/** True for a path naming the login directory itself or the root: nothing a verb should remove. */
function isTopLevel(path: string): boolean {
  return resolvePath('/', path) === '/';
}

/** `dir/` and `''` name directories; get/put need to know. */
function namesDirectory(path: string): boolean {
  return path === '' || path.endsWith('/');
}

async function ls(ctx: VerbContext): Promise<void> {
  const { client, target, signal } = ctx;
  const path = target.path === '' ? undefined : target.path;
  let entries: FileEntry[];
  try {
    entries = await client.list(path, { signal });
  } catch (err) {
    // A file URL: show that one file, as `ls -l FILE` does.
    if (!(err instanceof FtpReplyError) || path === undefined || namesDirectory(path)) throw err;
    const entry = await client.stat(path).catch(() => undefined);
    if (entry === undefined) throw err;
    entries = [entry];
  }
  for (const line of formatListing(entries, { classify: ctx.command.classify }))
    ctx.stdout.write(`${line}\n`);
}

async function get(ctx: VerbContext): Promise<void> {
  const { client, command, progress, signal } = ctx;
  const remote = ctx.target.path;
  const name = baseName(remote);
  const destination =
    command.output === '-'
      ? keepOpen(ctx.stdout, 'stdout')
      : await downloadTarget(command.output, name, (path) => resolve(ctx.cwd, path), { make: true });
  await progress.track(name, (onProgress) =>
    client.download(remote, destination, {
      signal,
      resume: command.resume,
      ...(onProgress && { onProgress }),
    }),
  );
}

async function put(ctx: VerbContext): Promise<void> {
  const { client, command, progress, signal } = ctx;
  const local = command.args[0] ?? '';
  let remote = ctx.target.path;
  let source: string | Readable;
  let name: string;
  if (local === '-') {
    source = ctx.stdin;
    name = baseName(remote);
  } else {
    source = resolve(ctx.cwd, local);
    name = basename(source);
    if (namesDirectory(remote)) remote += name;
  }
  await progress.track(name, (onProgress) =>
    client.upload(source, remote, { signal, resume: command.resume, ...(onProgress && { onProgress }) }),
  );
}

async function rm(ctx: VerbContext): Promise<void> {
  const { client, command } = ctx;
  const path = ctx.target.path;
  if (!command.recursive) {
    await removeFile(client, path, 'rm -r removes a directory and everything in it');
    return;
  }
  try {
    await client.remove(path);
  } catch (err) {
    if (!(err instanceof FtpReplyError) || err.replyCode < 500) throw err;
    // Not a file (or not there): a directory, then, with everything in it.
    await client.removeDir(path, { recursive: true });
  }
}

async function mkdir(ctx: VerbContext): Promise<void> {
  await ctx.client.mkdir(ctx.target.path, { parents: true });
}

/**
 * Where `mv` sends `from`: NEWPATH relative to from's directory, absolute when it starts with
 * "/", into a directory when it ends with "/"; a URL to the same server gives its path.
 */
export function renameTarget(
  from: string,
  newPath: string,
  target: Pick<ResolvedTarget, 'host' | 'port'>,
): string {
  let to = newPath;
  if (/^ftp:\/\//i.test(newPath)) {
    const url = parseFtpUrl(newPath);
    if (url.host.toLowerCase() !== target.host.toLowerCase() || url.port !== target.port) {
      throw new UsageError('mv cannot move between servers');
    }
    to = url.path;
    if (to === '') throw new UsageError('the new URL names no path');
  } else {
    if (to === '') throw new UsageError('mv needs a new name');
    const trimmed = from.replace(/\/+$/, '');
    const slash = trimmed.lastIndexOf('/');
    const dir = slash < 0 ? '' : trimmed.slice(0, slash + 1);
    if (!to.startsWith('/')) to = posix.join(dir === '' ? '.' : dir, to);
  }
  if (to.endsWith('/')) to += baseName(from);
  return to;
}

async function mv(ctx: VerbContext): Promise<void> {
  const from = ctx.target.path;
  await ctx.client.rename(from, renameTarget(from, ctx.command.args[1] ?? '', ctx.target));
}

async function mirrorVerb(ctx: VerbContext): Promise<number> {
  const { client, command, signal } = ctx;
  const { mirror } = await import('../mirror.js');
  const reverse = command.reverse;
  const localArg = (reverse ? command.args[0] : command.args[1]) ?? '';
  const remoteDir = resolvePath(await client.pwd(), ctx.target.path);
  const summary = await mirror({
    client,
    direction: reverse ? 'up' : 'down',
    remoteDir,
    localDir: resolve(ctx.cwd, localArg),
    include: command.include,
    exclude: command.exclude,
    ...(command.parallel === undefined ? {} : { parallel: command.parallel }),
    signal,
    onFile: (event: MirrorFileEvent) => {
      if (event.action === 'failed') {
        ctx.warn(`${printable(event.path)}: failed: ${errorLine(event.error ?? 'unknown error')}`);
      } else if (event.action === 'copied') {
        ctx.info(`${printable(event.path)}: ${event.bytes} bytes`);
      }
    },
  });
  ctx.info(
    `mirror: ${summary.copied} copied, ${summary.skipped} skipped, ${summary.failed} failed, ${summary.bytes} bytes`,
  );
  return summary.failed > 0 ? 1 : 0;
}

/**
 * Checks what can be checked before connecting, so that a mistake costs no login: the URL names
 * what the verb needs, flags fit the arguments, a local file to upload is there.
 * @throws UsageError for a command line that cannot work, Error for a missing local file.
 */
export async function preflight(command: VerbCommand, url: FtpUrl, cwd: string): Promise<void> {
  const { verb, args, output, resume } = command;
  const path = url.path;
  const needs: Partial<Record<VerbCommand['verb'], string>> = {
    get: 'a file',
    rm: 'what to remove',
    mkdir: 'the directory to make',
    mv: 'what to rename',
  };
  const what = needs[verb];
  if (what !== undefined && path === '') throw new UsageError(`${verb} needs a URL that names ${what}`);
  if ((verb === 'rm' || verb === 'mv') && isTopLevel(path)) {
    throw new UsageError(`refusing to ${verb} ${JSON.stringify(path)}: it names the top directory`);
  }
  if (verb === 'get') {
    if (path.endsWith('/')) {
      throw new UsageError('get downloads one file; the URL names a directory (for a tree: ftpkit mirror)');
    }
    if (output === '-' && resume) throw new UsageError('--resume needs a local file, not stdout');
    // A missing local directory is found now, not after the login.
    if (output !== '-')
      await downloadTarget(output, baseName(path), (local) => resolve(cwd, local), { make: false });
  }
  if (verb === 'mv') renameTarget(path, args[1] ?? '', url);
  if (verb === 'put') {
    const local = args[0] ?? '';
    if (local === '-') {
      if (namesDirectory(path)) throw new UsageError('put - (stdin) needs a URL that names the file');
      if (resume) throw new UsageError('--resume needs a local file, not stdin');
    } else {
      // stat's own message ("ENOENT: no such file or directory, stat 'x'") names the file.
      const info = await stat(resolve(cwd, local));
      if (info.isDirectory())
        throw new Error(`${local} is a directory (for a tree: ftpkit mirror --reverse)`);
    }
  }
}

/** Runs one verb; resolves with the exit status (a failed mirror file gives 1), throws on failure. */
export async function runVerb(ctx: VerbContext): Promise<number> {
  switch (ctx.command.verb) {
    case 'ls':
      await ls(ctx);
      return 0;
    case 'get':
      await get(ctx);
      return 0;
    case 'put':
      await put(ctx);
      return 0;
    case 'rm':
      await rm(ctx);
      return 0;
    case 'mkdir':
      await mkdir(ctx);
      return 0;
    case 'mv':
      await mv(ctx);
      return 0;
    case 'mirror':
      return mirrorVerb(ctx);
    case 'shell':
      throw new Error('the shell is not a one-shot verb');
  }
}

/** Which argument of the verb is the URL (put LOCAL URL, mirror --reverse LOCALDIR URL). */
export function urlArgument(command: VerbCommand): string {
  const index = command.verb === 'put' || (command.verb === 'mirror' && command.reverse) ? 1 : 0;
  return command.args[index] ?? '';
}
