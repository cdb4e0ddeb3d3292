import { mkdir, realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AnonymousAuthenticator } from './auth/anonymous.js';
import type { Authenticator } from './auth/account.js';
import { chainAuthenticators } from './auth/chain.js';
import { createGeneratedUser } from './auth/generated-user.js';
import { upsertUser, UsersFileAuthenticator } from './auth/users-file.js';
import {
  ConfigError,
  OPTION_NAMES,
  readConfigFile,
  readEnvironment,
  resolveOptions,
  type RawOptions,
} from './config.js';
import { createLogger } from './logger.js';
import { FtpServer } from './server.js';

const HELP = `ftpkitd: an FTP server (RFC 959, EPSV/EPRT, MLSD, IPv6), active and passive mode.

Usage:
  ftpkitd [options]
  ftpkitd passwd --users FILE [--home DIR] [--read-only] NAME   (password read from stdin)

Options:
  --root DIR              folder served as "/" (created if missing)       [./ftp-root]
  --host ADDR             address to listen on ("::" for all, v4 and v6)    [127.0.0.1]
  --port N                port; 0 picks a free one and the log says which  [2121]
  --users FILE            accounts file (JSON, scrypt hashes); see "passwd"
  --anonymous             let "anonymous"/"ftp" log in, read-only
  --anonymous-write       let anonymous users upload, delete and rename too
  --pasv-range MIN-MAX    ports for passive data connections             [random ephemeral port]
  --pasv-address ADDR     IPv4 address announced in 227 replies (NAT)     [the control address]
  --max-connections N     sessions at once                                 [1000]
  --max-per-ip N          sessions at once from one address                [100]
  --idle-timeout S        close a control connection idle this long        [300]
  --data-timeout S        give up on a silent data connection              [30]
  --login-delay MS        delay before answering a login from an address
                          that failed recently (doubles per failure)       [1000]
  --max-login-failures N  failed logins before the session is closed       [3]
  --ban-after N           failed logins from one address that ban it
                          (every login refused); 0: never                  [5]
  --ban-time S            the first ban's length; each further one doubles [600]
  --login-timeout S       time a connection has to log in                  [60]
  --max-unauthenticated N connections not logged in yet, at most           [500]
  --shutdown-timeout S    on SIGINT/SIGTERM, time given to transfers       [10]
  --metrics ADDR:PORT     serve Prometheus metrics at http://ADDR:PORT/metrics
                          (PORT alone: 127.0.0.1; :PORT: every address)    [off]
  --xferlog FILE          append a line per file transfer, xferlog format;
                          SIGHUP reopens it after rotation                 [off]
  --config FILE           JSON file with the same option names; flags win
  --log-level LEVEL       fatal, error, warn, info, debug, trace, silent   [info]
  -h, --help              this text

Without --users or --anonymous, ftpkitd creates the user "ftpkit" with a random password and
prints a ready ftp:// URL. Every option can also come from the environment: FTPKITD_PASV_RANGE=...
`;

function fail(message: string): never {
  process.stderr.write(`ftpkitd: ${message}\n`);
  process.exit(2);
}

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') fail('passwd: no password on stdin (e.g. echo "secret" | ftpkitd passwd ...)');
  return line;
}

async function passwd(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      users: { type: 'string' },
      home: { type: 'string' },
      'read-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const name = positionals[0];
  if (values.users === undefined || name === undefined || positionals.length !== 1) {
    fail('usage: ftpkitd passwd --users FILE [--home DIR] [--read-only] NAME');
  }
  const password = await readPassword();
  const result = await upsertUser(values.users, {
    name,
    password,
    // Only an explicit flag changes access: a password change must not make a read-only user writable.
    ...(values['read-only'] === true ? { readOnly: true } : {}),
    ...(values.home === undefined ? {} : { home: values.home }),
  });
  process.stderr.write(`ftpkitd: user ${name} ${result} in ${values.users}\n`);
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return isIP(host) === 6 ? `[${host}]` : host;
}

async function serve(argv: string[]): Promise<void> {
  const flagOptions = Object.fromEntries(
    OPTION_NAMES.map((name) => [
      name,
      { type: name === 'anonymous' || name === 'anonymous-write' ? 'boolean' : 'string' } as const,
    ]),
  );
  const { values } = parseArgs({
    args: argv,
    options: { ...flagOptions, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return;
  }
  const given = values as Record<string, string | boolean | undefined>;
  const flags: RawOptions = {};
  for (const name of OPTION_NAMES) {
    const value = given[name];
    if (typeof value === 'string' || typeof value === 'boolean') flags[name] = value;
  }
  const configFile = typeof values.config === 'string' ? values.config : undefined;
  const fileLayer = configFile === undefined ? {} : await readConfigFile(configFile);
  const options = resolveOptions([fileLayer, readEnvironment(process.env), flags]);
  const logger = createLogger(options.logLevel);

  await mkdir(options.root, { recursive: true });
  const root = await realpath(resolve(options.root));
  const resolved = { ...options, root };

  const authenticators: Authenticator[] = [];
  if (resolved.usersFile !== undefined) {
    authenticators.push(await UsersFileAuthenticator.load(resolved.usersFile, root));
  }
  if (resolved.anonymous) {
    authenticators.push(new AnonymousAuthenticator({ root, writable: resolved.anonymousWrite }));
  }
  let generated: { user: string; password: string } | undefined;
  if (authenticators.length === 0) {
    const made = createGeneratedUser(root);
    authenticators.push(made.authenticator);
    generated = made;
  }

  const server = new FtpServer({
    options: resolved,
    authenticator: chainAuthenticators(authenticators),
    logger,
    anonymousEnabled: resolved.anonymous,
  });
  const address = await server.listen();
  const where = `${urlHost(resolved.host)}:${address.port}`;
  let banner: string;
  if (generated) {
    banner =
      `ftpkitd is serving ${root}\n` +
      `  user: ${generated.user}  password: ${generated.password}  (generated; shown once)\n` +
      `  ftp://${generated.user}:${generated.password}@${where}/\n` +
      `  try: curl ftp://${generated.user}:${generated.password}@${where}/\n`;
  } else {
    banner = `ftpkitd is serving ${root} on ftp://${where}/\n`;
  }
  process.stderr.write(banner);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // logrotate's postrotate sends SIGHUP: the xferlog goes on in the new file.
  process.on('SIGHUP', () => {
    server.reopenLogs().then(
      () => logger.info('logs reopened'),
      (err: unknown) => logger.error({ err: (err as Error).message }, 'cannot reopen logs'),
    );
  });
}

async function main(argv: string[]): Promise<void> {
  try {
    if (argv[0] === 'passwd') await passwd(argv.slice(1));
    else await serve(argv);
  } catch (err) {
    if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      fail((err as Error).message);
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      fail(`address in use: ${(err as Error).message}`);
    fail((err as Error).message);
  }
}

await main(process.argv.slice(2));
