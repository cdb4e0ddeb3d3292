import {
  addressFamily,
  normalizeAddress,
  decodeEprt,
  formatEpsvReply,
  parseEpsvArg,
  decodeHostPort,
  encodeHostPort,
  FtpError,
  Reply,
} from '../../protocol/index.js';
import { checkActiveTarget, createActiveChannel } from '../data/active.js';
import type { PassiveChannel } from '../data/passive.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './registry.js';
import { whenReady } from './when-ready.js';

function refuseAfterEpsvAll(ctx: CommandContext): void {
  if (ctx.state.epsvAll)
    throw new FtpError(Reply.BadSequence, 'EPSV ALL is in effect; only EPSV may be used.');
}

/** "::" or "0.0.0.0": lftp announces its unbound data socket like this on loopback. */
function isUnspecified(host: string): boolean {
  const normal = normalizeAddress(host);
  return normal === '::' || normal === '0.0.0.0';
}

/** RFC 2428's 522 names the families the server would take on this connection. */
function wrongFamily(ctx: CommandContext): FtpError {
  const family = addressFamily(ctx.localAddress) === 6 ? 2 : 1;
  return new FtpError(Reply.NetworkProtocolNotSupported, `Network protocol not supported, use (${family}).`);
}

function setActive(ctx: CommandContext, host: string, port: number): void {
  // An unspecified address can only mean the client itself, so it cannot be used for a bounce.
  const target = isUnspecified(host) ? ctx.peerAddress : host;
  checkActiveTarget({ host: target, port }, ctx.peerAddress);
  ctx.setDataChannel(
    createActiveChannel({
      host: target,
      port,
      localAddress: ctx.localAddress,
      timeoutMs: ctx.services.options.dataTimeoutMs,
    }),
  );
}

/**
 * Takes a passive listener and answers with its port. After a passive transfer the session has its
 * listener still, and then the reply goes out in this same turn; otherwise a promise of it.
 */
function openPassive(
  ctx: CommandContext,
  answer: (channel: PassiveChannel) => void,
): Promise<void> | undefined {
  // Drop a previous channel first so its port goes back before we take one.
  ctx.setDataChannel(undefined);
  return whenReady(ctx.openPassive(), (channel) => {
    ctx.setDataChannel(channel);
    answer(channel);
  });
}

export const dataSetupCommands: CommandSpec[] = [
  {
    verb: 'PORT',
    arg: 'required',
    syntax: 'PORT <sp> h1,h2,h3,h4,p1,p2',
    handler(ctx, arg) {
      refuseAfterEpsvAll(ctx);
      if (addressFamily(ctx.peerAddress) !== 4) {
        throw new FtpError(Reply.NetworkProtocolNotSupported, 'PORT is IPv4 only; use EPRT over IPv6.');
      }
      const target = decodeHostPort(arg);
      setActive(ctx, target.host, target.port);
      ctx.reply(Reply.CommandOk, 'PORT command successful. Consider using PASV.');
    },
  },
  {
    verb: 'EPRT',
    arg: 'required',
    feat: 'EPRT',
    syntax: 'EPRT <sp> |proto|address|port|',
    handler(ctx, arg) {
      refuseAfterEpsvAll(ctx);
      const target = decodeEprt(arg);
      if (target.family !== addressFamily(ctx.peerAddress)) throw wrongFamily(ctx);
      setActive(ctx, target.host, target.port);
      ctx.reply(Reply.CommandOk, 'EPRT command successful. Consider using EPSV.');
    },
  },
  {
    verb: 'PASV',
    arg: 'none',
    feat: 'PASV',
    syntax: 'PASV',
    handler(ctx) {
      refuseAfterEpsvAll(ctx);
      const advertised = ctx.services.options.pasvAddress ?? ctx.localAddress;
      if (addressFamily(advertised) !== 4) {
        throw new FtpError(Reply.CantOpenData, 'PASV is IPv4 only; use EPSV over IPv6.');
      }
      return openPassive(ctx, (channel) => {
        const hostPort = encodeHostPort({ host: advertised, port: channel.port });
        ctx.reply(Reply.EnteringPassive, `Entering Passive Mode (${hostPort}).`);
      });
    },
  },
  {
    verb: 'EPSV',
    arg: 'optional',
    feat: 'EPSV',
    syntax: 'EPSV [<sp> 1|2|ALL]',
    handler(ctx, arg) {
      const wanted = parseEpsvArg(arg);
      if (wanted === 'all') {
        ctx.state.epsvAll = true;
        ctx.reply(Reply.CommandOk, 'EPSV ALL ok.');
        return undefined;
      }
      if (wanted !== undefined && wanted !== addressFamily(ctx.localAddress)) throw wrongFamily(ctx);
      return openPassive(ctx, (channel) => {
        ctx.reply(Reply.EnteringExtendedPassive, formatEpsvReply(channel.port));
      });
    },
  },
];
