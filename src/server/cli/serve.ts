import { mkdir, realpath, stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Account, Authenticator } from '../auth/account.js';
import { AnonymousAuthenticator, isAnonymousName } from '../auth/anonymous.js';
import { chainAuthenticators } from '../auth/chain.js';
import { CredentialCache } from '../auth/credential-cache.js';
import { ReloadableAuthenticator } from '../auth/reloadable.js';
import { missingRomix } from '../auth/scrypt-lanes.js';
import { defaultStateDir, loadGeneratedAccount, type GeneratedAccount } from '../auth/generated-user.js';
import { UsersFileAuthenticator, type HomeLayout } from '../auth/users-file.js';
import {
  flagLayer,
  OPTION_NAMES,
  readConfigFile,
  readEnvironment,
  resolveOptions,
  type RawOptions,
} from '../config.js';
import { describeErrno, errnoCode } from '../fs/errors.js';
import { formatS3Url, openS3Store, type S3Store } from '../fs/s3/index.js';
import type { Logger } from '../logger.js';
import type { ServerOptions } from '../options.js';
import { FtpServer } from '../server.js';
import { loadTlsCredentials } from '../tls/credentials.js';
import { missingSendfile } from '../transfer/sendfile-addon.js';
import { banner, urlHost } from './banner.js';
import { StartupError } from './exit.js';
import { HELP } from './help.js';
import { createCliLogger } from './log-output.js';
import { packageVersion } from './version.js';
import { unwritableFolders } from './writable-check.js';

const BOOLEAN_OPTIONS = new Set([
  'anonymous',
  'anonymous-write',
  'proxy-protocol',
  's3-path-style',
  'sendfile',
]);

/** `ftpkitd [options]`: serves until SIGINT or SIGTERM. */
export async function serve(argv: string[]): Promise<void> {
  const flagOptions = Object.fromEntries(
    OPTION_NAMES.map((name) => [name, { type: BOOLEAN_OPTIONS.has(name) ? 'boolean' : 'string' } as const]),
  );
  const { values } = parseArgs({
    args: argv,
    // --no-sendfile turns off what is on by default.
    allowNegative: true,
    options: {
      ...flagOptions,
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version === true) {
    process.stdout.write(`ftpkitd ${await packageVersion()}\n`);
    return;
  }
  const given = values as Record<string, string | boolean | undefined>;
  const flags: RawOptions = {};
  for (const name of OPTION_NAMES) {
    const value = given[name];
    if (typeof value === 'string' || typeof value === 'boolean') flags[name] = value;
  }
  const configFile = typeof values.config === 'string' ? values.config : undefined;
  const layers = [readEnvironment(process.env), flagLayer(flags)];
  if (configFile !== undefined) layers.unshift(await readConfigFile(configFile));
  const options = resolveOptions(layers);
  const logger = createCliLogger(options);

  // On S3 the root is only a name: each account's home path below it names the account's prefix,
  // and nothing is made or read on disk for it.
  const root = options.store === undefined ? await prepareRoot(options.root) : resolve(options.root);
  const resolved = { ...options, root };
  const store = options.store === undefined ? undefined : await openStore(resolved);
  const tls =
    resolved.tlsCert !== undefined && resolved.tlsKey !== undefined
      ? await loadTlsCredentials(resolved.tlsCert, resolved.tlsKey)
      : undefined;
  const { authenticator, accounts, generated, users } = await loadAccounts(resolved, logger);
  for (const { folder, users } of store === undefined ? await unwritableFolders(accounts) : []) {
    logger.warn(
      { folder, users, uid: process.getuid?.() },
      "not writable by the server's user: uploads, mkdir, delete and rename there will fail with 550",
    );
  }

  const unsent = missingSendfile(resolved.sendfile && store === undefined);
  if (unsent !== undefined) logger.warn(unsent);
  const slowChecks = missingRomix();
  if (slowChecks !== undefined) logger.warn(slowChecks);

  const server = new FtpServer({
    options: resolved,
    authenticator,
    logger,
    anonymousEnabled: resolved.anonymous,
    ...(tls && { tls }),
    ...(store && {
      createFileSystem: (account: Account) => Promise.resolve(store.at(relative(root, account.home))),
    }),
  });
  const address = await listen(server, resolved);
  const served = options.store === undefined ? root : formatS3Url(options.store);
  process.stderr.write(banner(served, `${urlHost(resolved.host)}:${address.port}`, generated));
  handleSignals(server, logger, resolved);
  process.on('SIGHUP', () => {
    void reload(server, logger, resolved, users);
  });
}

/** The root as an absolute real path, created when missing: a service started from / must not serve /ftp-root by surprise. */
async function prepareRoot(root: string): Promise<string> {
  const absolute = resolve(root);
  try {
    await mkdir(absolute, { recursive: true });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST')
      throw new StartupError(`cannot create the root ${absolute}: ${describeErrno(err)}`);
  }
  const info = await stat(absolute).catch((err: unknown) => {
    throw new StartupError(`cannot use the root ${absolute}: ${describeErrno(err)}`);
  });
  if (!info.isDirectory()) throw new StartupError(`the root ${absolute} is not a directory`);
  return realpath(absolute);
}

/** The S3 store, checked: a bucket that cannot be used stops the start with one line. */
async function openStore(options: ServerOptions): Promise<S3Store | undefined> {
  if (options.store === undefined) return undefined;
  const store = await openS3Store({
    location: options.store,
    pathStyle: options.s3PathStyle,
    ...(options.s3Endpoint !== undefined && { endpoint: options.s3Endpoint }),
    ...(options.s3Region !== undefined && { region: options.s3Region }),
  });
  try {
    await store.check();
  } catch (err) {
    store.close();
    throw new StartupError((err as Error).message);
  }
  return store;
}

interface Accounts {
  authenticator: Authenticator;
  /** Who may log in and where, for the startup checks. */
  accounts: Account[];
  generated?: GeneratedAccount;
  /** The users file's accounts, which SIGHUP re-reads. */
  users?: ReloadableAuthenticator;
}

async function loadAccounts(options: ServerOptions, logger: Logger): Promise<Accounts> {
  const { root } = options;
  const authenticators: Authenticator[] = [];
  const accounts: Account[] = [];
  let users: ReloadableAuthenticator | undefined;
  // Anonymous first: its names are answered at once, where the users file, asked first, would give
  // the unknown name "anonymous" its full hash check (hundreds of milliseconds under a burst).
  if (options.anonymous) {
    authenticators.push(new AnonymousAuthenticator({ root, writable: options.anonymousWrite }));
    accounts.push({ user: 'anonymous', home: root, writable: options.anonymousWrite, anonymous: true });
  }
  if (options.usersFile !== undefined) {
    const file = await UsersFileAuthenticator.load(options.usersFile, root, upgradeFailed(logger), {
      homes: homeLayout(options),
    });
    users = new ReloadableAuthenticator(withCache(file, options));
    authenticators.push(users);
    accounts.push(...file.accounts);
    warnShadowedAccounts(file, options, logger);
  }
  if (authenticators.length > 0) {
    return { authenticator: chainAuthenticators(authenticators), accounts, ...(users && { users }) };
  }
  const generated = await loadGeneratedAccount(
    options.stateDir ?? defaultStateDir(),
    root,
    undefined,
    homeLayout(options),
  );
  return {
    authenticator: withCache(generated.authenticator, options),
    accounts: generated.authenticator.accounts,
    generated,
  };
}

/** A users-file account that anonymous FTP answers first (as vsftpd does): it can never log in. */
function warnShadowedAccounts(file: UsersFileAuthenticator, options: ServerOptions, logger: Logger): void {
  if (!options.anonymous) return;
  for (const user of file.userNames.filter(isAnonymousName)) {
    logger.warn(
      { users: options.usersFile, user },
      'account never used: with --anonymous this name logs in anonymously, whatever the password',
    );
  }
}

function homeLayout(options: ServerOptions): HomeLayout {
  return options.store === undefined ? 'folders' : 'prefixes';
}

/** A stronger hash that cannot be written back (read-only file or folder): the login still goes on. */
function upgradeFailed(logger: Logger): (user: string, err: unknown) => void {
  return (user, err) => {
    logger.warn(
      { user, err: describeErrno(err) },
      'cannot rewrite the users file with a stronger hash; the old one stays',
    );
  };
}

/** One cache per loaded users file, so a reload forgets every password the old file accepted. */
function withCache(file: Authenticator, options: ServerOptions): Authenticator {
  return options.authCacheTtlMs > 0 ? new CredentialCache(file, { ttlMs: options.authCacheTtlMs }) : file;
}

async function listen(server: FtpServer, options: ServerOptions): ReturnType<FtpServer['listen']> {
  try {
    return await server.listen();
  } catch (err) {
    const code = errnoCode(err);
    if (code === undefined) throw err;
    const { address, port } = err as NodeJS.ErrnoException & { address?: string; port?: number };
    const where = address === undefined ? `${options.host}:${options.port}` : `${address}:${port ?? ''}`;
    throw new StartupError(`cannot listen on ${where}: ${describeErrno(err)}${listenHint(code, port)}`);
  }
}

function listenHint(code: string, port: number | undefined): string {
  if (code === 'EADDRINUSE') return ' (another server is there; choose another port)';
  if (code === 'EACCES' && port !== undefined && port < 1024) {
    return ' (ports below 1024 need root or CAP_NET_BIND_SERVICE; see the README on running as a service)';
  }
  if (code === 'EADDRNOTAVAIL') return ' (no interface of this machine has that address)';
  return '';
}

/**
 * The first SIGINT or SIGTERM lets running transfers finish until --shutdown-timeout; a second one
 * cuts them now, still cleanly (426, no partial file); a third exits at once.
 */
function handleSignals(server: FtpServer, logger: Logger, options: ServerOptions): void {
  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      if (signal === 'SIGINT')
        process.stderr.write(stoppingText(server.transferCount, options.shutdownTimeoutMs));
      void server.close().then(() => process.exit(0));
    } else if (signals === 2) {
      logger.warn({ signal }, 'second signal: cutting running transfers now');
      void server.stopNow();
    } else {
      process.exit(1);
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * SIGHUP (logrotate's postrotate, systemctl reload): the xferlog goes on in a new file, and the
 * certificate, key and users file are read again. Sessions are not touched: one that did AUTH
 * TLS keeps the certificate it has, and one logged in keeps its account. A file that cannot be
 * used is logged in one line and the one in use stays.
 */
async function reload(
  server: FtpServer,
  logger: Logger,
  options: ServerOptions,
  users: ReloadableAuthenticator | undefined,
): Promise<void> {
  const { tlsCert, tlsKey, usersFile } = options;
  const failed = (what: string) => (err: unknown) => {
    logger.error({ err: (err as Error).message }, `cannot ${what}; the one in use stays`);
  };
  await Promise.all([
    server.reopenLogs().then(() => logger.info('logs reopened'), failed('reopen logs')),
    tlsCert !== undefined && tlsKey !== undefined
      ? loadTlsCredentials(tlsCert, tlsKey).then((credentials) => {
          server.setTlsCredentials(credentials);
          logger.info({ cert: tlsCert }, 'TLS certificate reloaded');
        }, failed('reload the TLS certificate'))
      : undefined,
    users !== undefined && usersFile !== undefined
      ? UsersFileAuthenticator.load(usersFile, options.root, upgradeFailed(logger), {
          homes: homeLayout(options),
        }).then((file) => {
          users.replace(withCache(file, options));
          logger.info({ users: usersFile, accounts: file.accounts.length }, 'users file reloaded');
          warnShadowedAccounts(file, options, logger);
        }, failed('reload the users file'))
      : undefined,
  ]);
}

function stoppingText(transfers: number, graceMs: number): string {
  if (transfers === 0) return '\nftpkitd: stopping\n';
  const running = transfers === 1 ? '1 running transfer gets' : `${transfers} running transfers get`;
  return `\nftpkitd: stopping; ${running} up to ${graceMs / 1000} s to finish. Ctrl-C again stops them now.\n`;
}
