import { formatFeatureReply, parseMlstOpts, FtpError, Reply } from '../../protocol/index.js';
import { statPath } from './listing.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './registry.js';

function serverStatus(ctx: CommandContext): string[] {
  const { account } = ctx.state;
  const lines = ['ftpkitd status:', `Connected from ${ctx.peerAddress}`];
  lines.push(
    account ? `Logged in as ${account.user}${account.writable ? '' : ' (read-only)'}` : 'Not logged in',
  );
  lines.push(`TYPE: ${ctx.state.type === 'A' ? 'ASCII' : 'BINARY'}, STRUcture: File, MODE: Stream`);
  const transfer = ctx.transfer;
  if (transfer) {
    const { direction, path } = transfer.job.describe;
    lines.push(`Transfer in progress: ${direction} ${path}, ${transfer.bytes()} bytes so far`);
  } else {
    lines.push(ctx.hasDataChannel() ? 'Data connection ready' : 'No data connection');
  }
  lines.push('End of status');
  return lines;
}

export const infoCommands: CommandSpec[] = [
  {
    verb: 'FEAT',
    needsLogin: false,
    arg: 'none',
    syntax: 'FEAT',
    handler(ctx) {
      ctx.reply(Reply.SystemStatus, formatFeatureReply(ctx.services.registry.features(ctx)));
    },
  },
  {
    verb: 'OPTS',
    arg: 'required',
    feat: 'UTF8',
    syntax: 'OPTS <sp> UTF8 ON | MLST fact;fact;',
    handler(ctx, arg) {
      const space = arg.indexOf(' ');
      const name = (space < 0 ? arg : arg.slice(0, space)).toUpperCase();
      const value = space < 0 ? '' : arg.slice(space + 1);
      if (name === 'UTF8' || name === 'UTF-8') {
        // Names are always UTF-8 here, so OFF cannot be honoured.
        if (value.toUpperCase() === 'OFF')
          throw new FtpError(Reply.NotImplementedForParam, 'UTF8 is always on.');
        ctx.reply(Reply.CommandOk, 'Always in UTF8 mode.');
        return;
      }
      if (name === 'MLST') {
        ctx.state.mlstFacts = parseMlstOpts(value);
        ctx.reply(Reply.CommandOk, `MLST OPTS ${[...ctx.state.mlstFacts].map((f) => `${f};`).join('')}`);
        return;
      }
      throw new FtpError(Reply.SyntaxErrorInArgs, `Option ${JSON.stringify(name)} not understood.`);
    },
  },
  {
    verb: 'SYST',
    needsLogin: false,
    arg: 'none',
    syntax: 'SYST',
    handler(ctx) {
      ctx.reply(Reply.SystemType, 'UNIX Type: L8');
    },
  },
  {
    verb: 'NOOP',
    needsLogin: false,
    arg: 'none',
    syntax: 'NOOP',
    handler(ctx) {
      ctx.reply(Reply.CommandOk, 'NOOP ok.');
    },
  },
  {
    verb: 'HELP',
    needsLogin: false,
    arg: 'optional',
    syntax: 'HELP [<sp> command]',
    handler(ctx, arg) {
      const { registry } = ctx.services;
      const verbs = registry.verbs().filter((v) => registry.get(v)?.syntax !== '');
      if (arg !== '') {
        const spec = registry.get(arg.toUpperCase());
        if (!spec || spec.syntax === '') {
          throw new FtpError(Reply.SyntaxErrorInArgs, `Unknown command ${JSON.stringify(arg)}.`);
        }
        ctx.reply(Reply.HelpMessage, `Syntax: ${spec.syntax}`);
        return;
      }
      const rows: string[] = [];
      for (let i = 0; i < verbs.length; i += 8)
        rows.push(
          ' ' +
            verbs
              .slice(i, i + 8)
              .map((v) => v.padEnd(5))
              .join(' '),
        );
      ctx.reply(Reply.HelpMessage, ['The following commands are recognized:', ...rows, 'Help OK.']);
    },
  },
  {
    verb: 'STAT',
    arg: 'optional',
    duringTransfer: true,
    syntax: 'STAT [<sp> pathname]',
    async handler(ctx, arg) {
      if (arg === '' || ctx.transfer) {
        ctx.reply(Reply.SystemStatus, serverStatus(ctx));
        return;
      }
      await statPath(ctx, arg);
    },
  },
  {
    verb: 'TYPE',
    arg: 'required',
    syntax: 'TYPE <sp> A [N] | I | L 8',
    handler(ctx, arg) {
      const type = arg.toUpperCase().replace(/\s+/g, ' ');
      if (type === 'A' || type === 'A N') {
        ctx.state.type = 'A';
        ctx.reply(Reply.CommandOk, 'Switching to ASCII mode.');
      } else if (type === 'I' || type === 'L 8') {
        ctx.state.type = 'I';
        ctx.reply(Reply.CommandOk, 'Switching to Binary mode.');
      } else {
        throw new FtpError(Reply.NotImplementedForParam, `TYPE ${arg} not supported; use A or I.`);
      }
    },
  },
  {
    verb: 'MODE',
    arg: 'required',
    syntax: 'MODE <sp> S',
    handler(ctx, arg) {
      if (arg.toUpperCase() !== 'S')
        throw new FtpError(Reply.NotImplementedForParam, 'Only MODE S (stream) is supported.');
      ctx.reply(Reply.CommandOk, 'Mode set to S.');
    },
  },
  {
    verb: 'STRU',
    arg: 'required',
    syntax: 'STRU <sp> F',
    handler(ctx, arg) {
      if (arg.toUpperCase() !== 'F')
        throw new FtpError(Reply.NotImplementedForParam, 'Only STRU F (file) is supported.');
      ctx.reply(Reply.CommandOk, 'Structure set to F.');
    },
  },
  {
    verb: 'ALLO',
    arg: 'optional',
    syntax: 'ALLO <sp> bytes',
    handler(ctx) {
      ctx.reply(Reply.CommandSuperfluous, 'ALLO not needed; storage is allocated on demand.');
    },
  },
];
