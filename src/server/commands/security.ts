import { FtpError, Reply } from '../../protocol/index.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './registry.js';

/** Offered in FEAT only when the server has a certificate. */
function withTls(line: string): (ctx: CommandContext) => string | undefined {
  return (ctx) => (ctx.services.tlsCredentials() === undefined ? undefined : line);
}

function requireCertificate(ctx: CommandContext, verb: string): void {
  if (ctx.services.tlsCredentials() === undefined) {
    throw new FtpError(Reply.NotImplemented, `${verb} is not available: this server has no TLS certificate.`);
  }
}

/** RFC 4217: AUTH TLS upgrades the control connection; PBSZ 0 and PROT P protect the data connections. */
export const securityCommands: CommandSpec[] = [
  {
    verb: 'AUTH',
    needsLogin: false,
    arg: 'required',
    feat: withTls('AUTH TLS'),
    syntax: 'AUTH <sp> TLS',
    handler(ctx, arg) {
      requireCertificate(ctx, 'AUTH');
      const mechanism = arg.toUpperCase();
      // vsftpd and most servers take the old names for the same TLS handshake.
      if (!['TLS', 'TLS-C', 'SSL', 'TLS-P'].includes(mechanism)) {
        throw new FtpError(Reply.NotImplementedForParam, `AUTH ${arg} is not supported; use AUTH TLS.`);
      }
      if (ctx.tlsActive) throw new FtpError(Reply.BadSequence, 'Already using TLS.');
      // RFC 4217 section 4: a login and transfer settings made in clear do not carry over.
      ctx.reinitialize();
      ctx.reply(Reply.AuthOk, 'Proceed with TLS negotiation.');
      ctx.startTls();
      // AUTH SSL and TLS-P meant "protect the data too" to the clients that sent them.
      if (mechanism === 'SSL' || mechanism === 'TLS-P') {
        ctx.state.pbsz = true;
        ctx.state.protection = 'P';
      }
    },
  },
  {
    verb: 'PBSZ',
    needsLogin: false,
    arg: 'required',
    feat: withTls('PBSZ'),
    syntax: 'PBSZ <sp> 0',
    handler(ctx, arg) {
      requireCertificate(ctx, 'PBSZ');
      if (!ctx.tlsActive) throw new FtpError(Reply.BadSequence, 'PBSZ needs AUTH TLS first.');
      if (!/^\d+$/.test(arg)) throw new FtpError(Reply.SyntaxErrorInArgs, 'PBSZ takes a number: PBSZ 0.');
      ctx.state.pbsz = true;
      // TLS has no protection buffer: whatever the client asks, the size is 0 (RFC 4217 section 9).
      ctx.reply(Reply.CommandOk, 'PBSZ=0');
    },
  },
  {
    verb: 'PROT',
    needsLogin: false,
    arg: 'required',
    feat: withTls('PROT'),
    syntax: 'PROT <sp> C | P',
    handler(ctx, arg) {
      requireCertificate(ctx, 'PROT');
      if (!ctx.tlsActive || !ctx.state.pbsz)
        throw new FtpError(Reply.BadSequence, 'PROT needs PBSZ 0 first.');
      const level = arg.toUpperCase();
      if (level === 'C' || level === 'P') {
        ctx.state.protection = level;
        ctx.reply(
          Reply.CommandOk,
          level === 'P' ? 'Data connections are protected.' : 'Data connections are clear.',
        );
        return;
      }
      if (level === 'S' || level === 'E') {
        throw new FtpError(
          Reply.ProtLevelNotSupported,
          `PROT ${level} is not supported with TLS; use PROT P.`,
        );
      }
      throw new FtpError(Reply.NotImplementedForParam, `PROT ${arg} is unknown; use PROT C or PROT P.`);
    },
  },
  {
    verb: 'CCC',
    needsLogin: false,
    arg: 'none',
    syntax: 'CCC',
    handler(ctx) {
      requireCertificate(ctx, 'CCC');
      // Commands in clear after login could be injected by anyone on the path.
      throw new FtpError(Reply.ProtectionDenied, 'CCC refused: the control connection stays protected.');
    },
  },
];
