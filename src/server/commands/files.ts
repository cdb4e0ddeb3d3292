import {
  FileUnavailableError,
  FtpError,
  quotePath,
  Reply,
  formatTimeVal,
  parseTimeVal,
} from '../../protocol/index.js';
import type { CommandSpec } from './registry.js';

export const fileCommands: CommandSpec[] = [
  {
    verb: 'DELE',
    arg: 'required',
    needsWrite: true,
    syntax: 'DELE <sp> pathname',
    async handler(ctx, arg) {
      await ctx.files().unlink(ctx.resolve(arg));
      ctx.reply(Reply.FileActionOk, 'Delete operation successful.');
    },
  },
  {
    verb: 'MKD',
    aliases: ['XMKD'],
    arg: 'required',
    needsWrite: true,
    syntax: 'MKD <sp> pathname',
    async handler(ctx, arg) {
      const path = ctx.resolve(arg);
      await ctx.files().mkdir(path);
      ctx.reply(Reply.PathCreated, `${quotePath(path)} created.`);
    },
  },
  {
    verb: 'RMD',
    aliases: ['XRMD'],
    arg: 'required',
    needsWrite: true,
    syntax: 'RMD <sp> pathname',
    async handler(ctx, arg) {
      await ctx.files().rmdir(ctx.resolve(arg));
      ctx.reply(Reply.FileActionOk, 'Remove directory operation successful.');
    },
  },
  {
    verb: 'RNFR',
    arg: 'required',
    needsWrite: true,
    syntax: 'RNFR <sp> pathname',
    async handler(ctx, arg) {
      const path = ctx.resolve(arg);
      await ctx.files().stat(path);
      ctx.state.renameFrom = path;
      ctx.reply(Reply.PendingFurtherInfo, 'Ready for RNTO.');
    },
  },
  {
    verb: 'RNTO',
    arg: 'required',
    needsWrite: true,
    syntax: 'RNTO <sp> pathname',
    async handler(ctx, arg) {
      const from = ctx.state.renameFrom;
      ctx.state.renameFrom = undefined;
      if (from === undefined) throw new FtpError(Reply.BadSequence, 'RNFR required first.');
      await ctx.files().rename(from, ctx.resolve(arg));
      ctx.reply(Reply.FileActionOk, 'Rename successful.');
    },
  },
  {
    verb: 'SIZE',
    arg: 'required',
    feat: 'SIZE',
    syntax: 'SIZE <sp> pathname',
    async handler(ctx, arg) {
      const entry = await ctx.files().stat(ctx.resolve(arg));
      if (entry.type !== 'file')
        throw new FileUnavailableError('Could not get file size: not a regular file.');
      ctx.reply(Reply.FileStatus, String(entry.size));
    },
  },
  {
    verb: 'MDTM',
    arg: 'required',
    feat: 'MDTM',
    syntax: 'MDTM <sp> pathname',
    async handler(ctx, arg) {
      const entry = await ctx.files().stat(ctx.resolve(arg));
      if (!entry.modified) throw new FileUnavailableError('Could not get modification time.');
      ctx.reply(Reply.FileStatus, formatTimeVal(entry.modified));
    },
  },
  {
    verb: 'SITE',
    arg: 'required',
    syntax: 'SITE <sp> CHMOD <sp> mode <sp> pathname',
    async handler(ctx, arg) {
      const chmod = /^CHMOD +([0-7]{1,4}) +(.+)$/i.exec(arg);
      if (!chmod?.[1] || chmod[2] === undefined) {
        throw new FtpError(Reply.SyntaxErrorInArgs, 'Only SITE CHMOD <octal mode> <path> is supported.');
      }
      if (!ctx.state.account?.writable)
        throw new FileUnavailableError('Permission denied: this account is read-only.');
      const fs = ctx.files();
      if (!fs.setMode) throw new FtpError(Reply.NotImplemented, 'SITE CHMOD is not supported by this store.');
      await fs.setMode(ctx.resolve(chmod[2]), parseInt(chmod[1], 8) & 0o777);
      ctx.reply(Reply.CommandOk, 'SITE CHMOD command ok.');
    },
  },
  {
    verb: 'MFMT',
    arg: 'required',
    needsWrite: true,
    feat: 'MFMT',
    syntax: 'MFMT <sp> YYYYMMDDHHMMSS <sp> pathname',
    async handler(ctx, arg) {
      const space = arg.indexOf(' ');
      const time = space > 0 ? parseTimeVal(arg.slice(0, space)) : undefined;
      if (!time || space === arg.length - 1) {
        throw new FtpError(Reply.SyntaxErrorInArgs, 'MFMT needs a time YYYYMMDDHHMMSS and a path.');
      }
      const path = ctx.resolve(arg.slice(space + 1));
      await ctx.files().setModified(path, time);
      ctx.reply(Reply.FileStatus, `Modify=${formatTimeVal(time)}; ${path}`);
    },
  },
];
