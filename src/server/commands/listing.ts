import { Readable } from 'node:stream';
import type { FileEntry } from '../../protocol/listing/entry.js';
import { formatMlsxLine, formatMlstFeature } from '../../protocol/listing/mlsx.js';
import { formatUnixLine } from '../../protocol/listing/unix.js';
import { baseName } from '../../protocol/path.js';
import { FtpError } from '../../protocol/errors.js';
import { Reply } from '../../protocol/reply-codes.js';
import { sendToSocket } from '../transfer/streams.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './registry.js';

interface ListTarget {
  path: string;
  showHidden: boolean;
}

/**
 * LIST/NLST take `ls` options from many clients ("-la", "-a dir"). A leading "-word" is treated as
 * options, as vsftpd and pyftpdlib do; the rest stays byte-exact as the path.
 */
export function parseListArg(ctx: CommandContext, arg: string): ListTarget {
  let rest = arg;
  let showHidden = false;
  const options = /^(-[A-Za-z]+)(?: +|$)/.exec(rest);
  if (options?.[1] !== undefined) {
    showHidden = options[1].includes('a') || options[1].includes('A');
    rest = rest.slice(options[0].length);
  }
  return { path: ctx.resolve(rest), showHidden };
}

/** Entries a listing shows: a directory's contents, or the one entry a file path names. */
async function entriesFor(ctx: CommandContext, target: ListTarget): Promise<FileEntry[]> {
  const fs = ctx.files();
  const entry = await fs.stat(target.path);
  if (entry.type !== 'dir') return [{ ...entry, name: baseName(target.path) }];
  const entries = await fs.list(target.path);
  const shown = target.showHidden ? entries : entries.filter((e) => !e.name.startsWith('.'));
  return shown.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** RFC 3659 perm fact from the account's rights and the entry's type. */
export function permFact(ctx: CommandContext, entry: FileEntry): string {
  const writable = ctx.state.account?.writable === true;
  if (entry.type === 'dir') return writable ? 'elcmfpd' : 'el';
  return writable ? 'rwadf' : 'r';
}

function mlsxLine(ctx: CommandContext, entry: FileEntry, name?: string): string {
  return formatMlsxLine(entry, {
    facts: ctx.state.mlstFacts,
    perm: permFact(ctx, entry),
    ...(name === undefined ? {} : { name }),
  });
}

function* crlfLines(lines: Iterable<string>): Generator<string> {
  for (const line of lines) yield `${line}\r\n`;
}

/** Listings always travel as ASCII text with CRLF line ends, whatever TYPE is set. */
function sendLines(ctx: CommandContext, path: string, lines: Iterable<string>, opening: string): void {
  const source = Readable.from(crlfLines(lines), { objectMode: false });
  ctx.startTransfer({
    opening,
    run: (socket, signal) => sendToSocket(source, socket, false, signal),
    discard: () => {
      source.destroy();
      return Promise.resolve();
    },
    done: 'Directory send OK.',
    describe: { direction: 'list', path },
  });
}

export const listingCommands: CommandSpec[] = [
  {
    verb: 'LIST',
    needsDataChannel: true,
    arg: 'optional',
    syntax: 'LIST [<sp> [-options] pathname]',
    async handler(ctx, arg) {
      const target = parseListArg(ctx, arg);
      const entries = await entriesFor(ctx, target);
      const now = new Date();
      sendLines(
        ctx,
        target.path,
        entries.map((e) => formatUnixLine(e, now)),
        'Here comes the directory listing.',
      );
    },
  },
  {
    verb: 'NLST',
    needsDataChannel: true,
    arg: 'optional',
    syntax: 'NLST [<sp> pathname]',
    async handler(ctx, arg) {
      const target = parseListArg(ctx, arg);
      const entries = await entriesFor(ctx, target);
      // A CR or LF in a name would forge a line; such names cannot be addressed over FTP anyway.
      const names = entries.map((e) => e.name).filter((n) => !/[\r\n\0]/.test(n));
      sendLines(ctx, target.path, names, 'Here comes the name list.');
    },
  },
  {
    verb: 'MLSD',
    needsDataChannel: true,
    arg: 'optional',
    syntax: 'MLSD [<sp> pathname]',
    async handler(ctx, arg) {
      const path = ctx.resolve(arg);
      const fs = ctx.files();
      const dir = await fs.stat(path);
      if (dir.type !== 'dir')
        throw new FtpError(Reply.FileUnavailable, 'Not a directory; use MLST for a file.');
      const entries = await fs.list(path);
      sendLines(
        ctx,
        path,
        entries.map((e) => mlsxLine(ctx, e)),
        'Here comes the machine listing.',
      );
    },
  },
  {
    verb: 'MLST',
    arg: 'optional',
    // Generated per session: OPTS MLST changes which facts carry a star.
    feat: (ctx) => formatMlstFeature(ctx.state.mlstFacts),
    syntax: 'MLST [<sp> pathname]',
    async handler(ctx, arg) {
      const path = ctx.resolve(arg);
      const entry = await ctx.files().stat(path);
      ctx.reply(Reply.FileActionOk, [`Listing ${path}`, ` ${mlsxLine(ctx, entry, path)}`, 'End']);
    },
  },
];

/** STAT with a path: the LIST output over the control channel (213 for a file, 212 for a dir). */
export async function statPath(ctx: CommandContext, arg: string): Promise<void> {
  const target = parseListArg(ctx, arg);
  const entry = await ctx.files().stat(target.path);
  const entries = await entriesFor(ctx, target);
  const now = new Date();
  const code = entry.type === 'dir' ? Reply.DirectoryStatus : Reply.FileStatus;
  ctx.reply(code, [
    `Status of ${target.path}:`,
    ...entries.map((e) => formatUnixLine(e, now)),
    'End of status.',
  ]);
}
