import { setTimeout as delay } from 'node:timers/promises';
import { Reply } from '../../protocol/index.js';
import { isAnonymousName } from '../auth/anonymous.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './registry.js';

/** A certificate and tls-policy required: accounts other than anonymous use TLS only. */
export function tlsRequired(ctx: CommandContext): boolean {
  return ctx.services.tlsCredentials() !== undefined && ctx.services.options.tlsPolicy === 'required';
}

export const authCommands: CommandSpec[] = [
  {
    verb: 'USER',
    needsLogin: false,
    arg: 'required',
    syntax: 'USER <sp> username',
    handler(ctx, arg) {
      if (ctx.state.account) {
        ctx.reply(Reply.NotLoggedIn, 'Already logged in; use REIN to change user.');
        return;
      }
      const anonymous = ctx.services.anonymousEnabled && isAnonymousName(arg);
      // Refused before PASS: the password must not cross the network in clear.
      if (!anonymous && !ctx.tlsActive && tlsRequired(ctx)) {
        ctx.reply(Reply.NotLoggedIn, 'TLS is required on this server: send AUTH TLS before USER.');
        return;
      }
      ctx.state.pendingUser = arg;
      if (anonymous) {
        ctx.reply(Reply.NeedPassword, 'Anonymous login ok, send your email address as password.');
      } else {
        // Same answer for every name, so USER cannot be used to probe which accounts exist.
        ctx.reply(Reply.NeedPassword, 'Please specify the password.');
      }
    },
  },
  {
    verb: 'PASS',
    needsLogin: false,
    arg: 'optional',
    syntax: 'PASS <sp> password',
    async handler(ctx, arg) {
      if (ctx.state.account) {
        ctx.reply(Reply.CommandSuperfluous, 'Already logged in.');
        return;
      }
      const user = ctx.state.pendingUser;
      if (user === undefined) {
        ctx.reply(Reply.BadSequence, 'Login with USER first.');
        return;
      }
      ctx.state.pendingUser = undefined;
      const { authenticator, loginGuard, options } = ctx.services;
      // Judged before the password is looked at, and the wait is the same whatever it is: a
      // guesser learns nothing from how fast an answer comes, nor from a banned address's answers.
      const verdict = loginGuard.check(ctx.peerAddress, user);
      const account =
        verdict.banned === undefined ? await authenticator.authenticate(user, arg, ctx.ended) : undefined;
      if (!account) {
        ctx.state.loginFailures += 1;
        loginGuard.failure(ctx.peerAddress, user);
        if (verdict.banned !== undefined) {
          ctx.log.warn({ user, banned: verdict.banned }, 'login refused: banned');
          ctx.services.observers.login('banned');
        } else {
          ctx.log.warn({ user }, 'login failed');
          ctx.services.observers.login('failed');
        }
        const wait = Math.max(options.failedLoginDelayMs, verdict.delayMs);
        if (wait > 0) await delay(wait);
        if (ctx.state.loginFailures >= options.maxLoginFailures) {
          ctx.reply(Reply.ServiceNotAvailable, 'Login incorrect; too many failures, closing connection.');
          ctx.close();
          return;
        }
        ctx.reply(Reply.NotLoggedIn, 'Login incorrect.');
        return;
      }
      if (verdict.delayMs > 0) await delay(verdict.delayMs);
      ctx.state.account = account;
      ctx.state.fs = await ctx.services.createFileSystem(account);
      ctx.state.cwd = '/';
      ctx.log.info({ user: account.user, writable: account.writable }, 'login');
      ctx.services.observers.login('ok');
      ctx.reply(Reply.LoggedIn, 'Login successful.');
    },
  },
  {
    verb: 'QUIT',
    needsLogin: false,
    arg: 'none',
    syntax: 'QUIT',
    handler(ctx) {
      ctx.reply(Reply.ClosingControl, 'Goodbye.');
      ctx.close();
    },
  },
  {
    verb: 'REIN',
    needsLogin: false,
    arg: 'none',
    syntax: 'REIN',
    handler(ctx) {
      ctx.reinitialize();
      if (!ctx.tlsActive) {
        ctx.reply(Reply.ServiceReady, 'Session reinitialized; login with USER and PASS.');
        return;
      }
      // RFC 4217 section 13 has REIN clear the TLS session too, but Node cannot turn a TLS socket
      // back into plain TCP: the connection stays protected, and the reply says so.
      ctx.reply(Reply.ServiceReady, 'Session reinitialized; TLS stays on. Login with USER and PASS.');
    },
  },
];
