import { randomBytes } from 'node:crypto';
import {
  FileNameNotAllowedError,
  FtpError,
  baseName,
  parentPath,
  resolvePath,
  Reply,
} from '../../protocol/index.js';
import { FileRange } from '../fs/file-range.js';
import type { ReadSource, Upload, WriteMode } from '../fs/file-system.js';
import { receiveFromSocket, sendToSocket } from '../transfer/streams.js';
import type { CommandContext, TransferJob } from './context.js';
import type { CommandSpec } from './registry.js';

function modeName(ctx: CommandContext): string {
  return ctx.state.type === 'A' ? 'ASCII' : 'BINARY';
}

function retrieve(ctx: CommandContext, arg: string): Promise<void> {
  const path = ctx.resolve(arg);
  const offset = ctx.state.restOffset;
  ctx.state.restOffset = 0;
  return ctx
    .files()
    .read(path, offset)
    .then((source) => startSending(ctx, path, source));
}

function startSending(ctx: CommandContext, path: string, { body: source, size }: ReadSource): void {
  const ascii = ctx.state.type === 'A';
  const release = (): void => {
    if (source instanceof FileRange) source.close();
    else if (!Buffer.isBuffer(source)) source.destroy();
  };
  // The source is ours from here: if no transfer takes it (the session ended while a slow store
  // was opening the file), it is let go here, or a stream or descriptor would stay open.
  startOrRelease(ctx, release, {
    opening: `Opening ${modeName(ctx)} mode data connection for ${baseName(path)} (${size} bytes).`,
    run: (socket, signal) => sendToSocket(source, socket, ascii, signal, ctx.services.options.sendfile),
    discard: () => {
      release();
      return Promise.resolve();
    },
    done: 'Transfer complete.',
    describe: { direction: 'send', path },
  });
}

/** Hands the job to the session; if it cannot take it, what the job holds is let go. */
function startOrRelease(ctx: CommandContext, release: () => void, job: TransferJob): void {
  try {
    ctx.startTransfer(job);
  } catch (err) {
    release();
    throw err;
  }
}

function store(
  ctx: CommandContext,
  path: string,
  mode: WriteMode,
  opening: string,
  done?: string,
): Promise<void> {
  return ctx
    .files()
    .write(path, mode)
    .then((upload) => startReceiving(ctx, path, upload, opening, done));
}

function startReceiving(
  ctx: CommandContext,
  path: string,
  upload: Upload,
  opening: string,
  done?: string,
): void {
  const ascii = ctx.state.type === 'A';
  const release = (): void => {
    void upload.abort().catch(() => undefined);
  };
  startOrRelease(ctx, release, {
    opening,
    run: (socket, signal) => receiveFromSocket(socket, upload.stream, ascii, signal),
    commit: () => upload.commit(),
    discard: () => upload.abort(),
    done: done ?? 'Transfer complete.',
    describe: { direction: 'receive', path },
  });
}

function takeWriteMode(ctx: CommandContext): WriteMode {
  const offset = ctx.state.restOffset;
  ctx.state.restOffset = 0;
  return offset > 0 ? { kind: 'offset', offset } : { kind: 'replace' };
}

/** STOU: a fresh name in the target directory; retried on the unlikely collision. */
async function storeUnique(ctx: CommandContext, arg: string): Promise<void> {
  ctx.state.restOffset = 0;
  const dir = arg === '' ? ctx.state.cwd : parentPath(ctx.resolve(arg));
  const stem = arg === '' ? 'ftpkit' : baseName(ctx.resolve(arg));
  for (let attempt = 0; attempt < 5; attempt++) {
    const name = attempt === 0 && arg !== '' ? stem : `${stem}.${randomBytes(4).toString('hex')}`;
    const path = resolvePath(dir, name);
    try {
      await store(
        ctx,
        path,
        { kind: 'new' },
        `FILE: ${name}`,
        `Transfer complete (unique file name: ${name}).`,
      );
      return;
    } catch (err) {
      if (!(err instanceof FileNameNotAllowedError)) throw err;
    }
  }
  throw new FileNameNotAllowedError('Could not find a unique file name.');
}

export const transferCommands: CommandSpec[] = [
  {
    verb: 'RETR',
    needsDataChannel: true,
    arg: 'required',
    syntax: 'RETR <sp> pathname',
    handler: retrieve,
  },
  {
    verb: 'STOR',
    needsDataChannel: true,
    arg: 'required',
    needsWrite: true,
    syntax: 'STOR <sp> pathname',
    handler: (ctx, arg) =>
      store(ctx, ctx.resolve(arg), takeWriteMode(ctx), `Ok to send data (${modeName(ctx)} mode).`),
  },
  {
    verb: 'APPE',
    needsDataChannel: true,
    arg: 'required',
    needsWrite: true,
    syntax: 'APPE <sp> pathname',
    handler(ctx, arg) {
      ctx.state.restOffset = 0;
      return store(ctx, ctx.resolve(arg), { kind: 'append' }, `Ok to append data (${modeName(ctx)} mode).`);
    },
  },
  {
    verb: 'STOU',
    needsDataChannel: true,
    arg: 'optional',
    needsWrite: true,
    syntax: 'STOU [<sp> pathname]',
    handler: storeUnique,
  },
  {
    verb: 'REST',
    arg: 'required',
    feat: 'REST STREAM',
    syntax: 'REST <sp> offset',
    handler(ctx, arg) {
      if (!/^\d{1,15}$/.test(arg)) throw new FtpError(Reply.SyntaxErrorInArgs, 'REST needs a byte offset.');
      ctx.state.restOffset = Number(arg);
      ctx.reply(Reply.PendingFurtherInfo, `Restarting at ${ctx.state.restOffset}. Send STOR or RETR.`);
    },
  },
  {
    verb: 'ABOR',
    arg: 'none',
    duringTransfer: true,
    syntax: 'ABOR',
    async handler(ctx) {
      if (await ctx.abortTransfer()) {
        ctx.reply(Reply.ClosingData, 'ABOR successful.');
        return;
      }
      ctx.setDataChannel(undefined);
      ctx.reply(Reply.DataOpenNoTransfer, 'No transfer to abort.');
    },
  },
];
