import { FileUnavailableError, parentPath, quotePath, Reply } from '../../protocol/index.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './registry.js';

async function changeDirectory(ctx: CommandContext, path: string): Promise<void> {
  const entry = await ctx.files().stat(path);
  if (entry.type !== 'dir') throw new FileUnavailableError('Failed to change directory: not a directory.');
  ctx.state.cwd = path;
  ctx.reply(Reply.FileActionOk, `Directory changed to ${quotePath(path)}.`);
}

export const navigationCommands: CommandSpec[] = [
  {
    verb: 'PWD',
    aliases: ['XPWD'],
    arg: 'none',
    syntax: 'PWD',
    handler(ctx) {
      ctx.reply(Reply.PathCreated, `${quotePath(ctx.state.cwd)} is the current directory.`);
    },
  },
  {
    verb: 'CWD',
    aliases: ['XCWD'],
    arg: 'required',
    feat: 'TVFS',
    syntax: 'CWD <sp> pathname',
    handler: (ctx, arg) => changeDirectory(ctx, ctx.resolve(arg)),
  },
  {
    verb: 'CDUP',
    aliases: ['XCUP'],
    arg: 'none',
    syntax: 'CDUP',
    handler: (ctx) => changeDirectory(ctx, parentPath(ctx.state.cwd)),
  },
];
