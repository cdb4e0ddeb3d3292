import { Readable } from 'node:stream';
import {
  type FileEntry,
  formatMlsxLine,
  formatMlstFeature,
  formatUnixLine,
  FtpError,
  Reply,
} from '../../protocol/index.js';
import { sendToSocket } from '../transfer/streams.js';
import type { CommandContext } from './context.js';
import {
  mapEntries,
  parseListArg,
  resolveListTarget,
  targetEntries,
  targetEntrySource,
  type EntrySource,
} from './list-target.js';
import type { CommandSpec } from './registry.js';

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

async function* crlfLines(lines: Iterable<string> | AsyncIterable<string>): AsyncGenerator<string> {
  for await (const line of lines) yield `${line}\r\n`;
}

/** Listings always travel as ASCII text with CRLF line ends, whatever TYPE is set. */
function sendLines(
  ctx: CommandContext,
  path: string,
  lines: Iterable<string> | AsyncIterable<string>,
  opening: string,
): void {
  const source = Readable.from(crlfLines(lines), { objectMode: false });
  ctx.startTransfer({
    opening,
    run: (socket, signal) => sendToSocket(source, socket, false, signal, false),
    discard: () => {
      source.destroy();
      return Promise.resolve();
    },
    done: 'Directory send OK.',
    describe: { direction: 'list', path },
  });
}

async function* addressable(names: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const name of names) if (!/[\r\n\0]/.test(name)) yield name;
}

export const listingCommands: CommandSpec[] = [
  {
    verb: 'LIST',
    needsDataChannel: true,
    arg: 'optional',
    syntax: 'LIST [<sp> [-options] pathname-or-pattern]',
    async handler(ctx, arg) {
      const listArg = parseListArg(arg);
      const target = await resolveListTarget(ctx, listArg);
      const entries = await targetEntrySource(ctx, target, listArg.showHidden);
      const now = new Date();
      sendLines(
        ctx,
        target.path,
        mapEntries(entries, (e) => formatUnixLine(e, now)),
        'Here comes the directory listing.',
      );
    },
  },
  {
    verb: 'NLST',
    needsDataChannel: true,
    arg: 'optional',
    syntax: 'NLST [<sp> [-options] pathname-or-pattern]',
    async handler(ctx, arg) {
      const listArg = parseListArg(arg);
      const target = await resolveListTarget(ctx, listArg);
      const entries = await targetEntrySource(ctx, target, listArg.showHidden);
      // A pattern's names carry the directory the client gave, so that they can be fetched as
      // they are (mget dir/*.txt). A CR or LF in a name would forge a line; such names cannot be
      // addressed over FTP anyway.
      const prefix = target.kind === 'pattern' ? target.prefix : '';
      const names = mapEntries(entries, (e) => prefix + e.name);
      sendLines(ctx, target.path, addressable(names), 'Here comes the name list.');
    },
  },
  {
    verb: 'MLSD',
    needsDataChannel: true,
    arg: 'optional',
    syntax: 'MLSD [<sp> pathname-or-pattern]',
    async handler(ctx, arg) {
      const target = await resolveListTarget(ctx, { text: arg, showHidden: false });
      const fs = ctx.files();
      let entries: EntrySource;
      if (target.kind === 'pattern') {
        entries = await targetEntrySource(ctx, target, false);
      } else {
        const dir = await fs.stat(target.path);
        if (dir.type !== 'dir')
          throw new FtpError(Reply.FileUnavailable, 'Not a directory; use MLST for a file.');
        entries = fs.entries?.(target.path) ?? (await fs.list(target.path));
      }
      sendLines(
        ctx,
        target.path,
        mapEntries(entries, (e) => mlsxLine(ctx, e)),
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

/**
 * STAT with a path: the LIST output over the control channel (213 for a file, 212 for a directory
 * or a pattern's matches).
 */
export async function statPath(ctx: CommandContext, arg: string): Promise<void> {
  const listArg = parseListArg(arg);
  const target = await resolveListTarget(ctx, listArg);
  const entries = await targetEntries(ctx, target, listArg.showHidden);
  const now = new Date();
  // A pattern's matches come from a directory, and so does their status.
  const isFile = target.kind === 'path' && (await ctx.files().stat(target.path)).type !== 'dir';
  const code = isFile ? Reply.FileStatus : Reply.DirectoryStatus;
  ctx.reply(code, [
    `Status of ${target.path}:`,
    ...entries.map((e) => formatUnixLine(e, now)),
    'End of status.',
  ]);
}
