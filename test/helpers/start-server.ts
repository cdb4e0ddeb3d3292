import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Account, Authenticator } from '../../src/server/auth/account.js';
import type { Clock } from '../../src/server/clock.js';
import { AnonymousAuthenticator } from '../../src/server/auth/anonymous.js';
import { chainAuthenticators } from '../../src/server/auth/chain.js';
import { createLogger, type Logger } from '../../src/server/logger.js';
import type { FileSystem } from '../../src/server/fs/file-system.js';
import { defaultOptions, type ServerOptions } from '../../src/server/options.js';
import { FtpServer } from '../../src/server/server.js';
import type { TlsCredentials } from '../../src/server/tls/credentials.js';
import type { S3StoreTuning } from '../../src/server/fs/s3/index.js';
import { makeTestStore, type StoreFiles, type StoreKind } from './stores.js';

export const USER = 'tester';
export const PASSWORD = 'p4ss word';
export const READER = 'reader';

/** Fixed test accounts: `tester` may write, `reader` may only read; both live at the root. */
class TestAuthenticator implements Authenticator {
  constructor(private readonly root: string) {}

  authenticate(user: string, password: string): Promise<Account | undefined> {
    if (password !== PASSWORD || (user !== USER && user !== READER)) return Promise.resolve(undefined);
    return Promise.resolve({ user, home: this.root, writable: user === USER, anonymous: false });
  }
}

export interface TestServer {
  server: FtpServer;
  host: string;
  port: number;
  root: string;
  /** Where the files live: `root` on the local disk, or a bucket of its own on the run's Swift. */
  store: StoreKind;
  /** The files as the test sets them up and checks them, on either store. */
  files: StoreFiles;
  user: string;
  password: string;
  /** ftp://tester:...@host:port/ with the host bracketed for IPv6. */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  host?: string;
  options?: Partial<ServerOptions>;
  anonymous?: 'read' | 'write';
  /** Use this root instead of a fresh temp folder (not removed on close). */
  root?: string;
  /** Log here instead of to stderr at FTPKIT_TEST_LOG's level (silent by default). */
  logger?: Logger;
  /** The store the files live in (see stores.ts); default 'local'. */
  store?: StoreKind;
  /** Part sizes and limits of the S3 store. */
  s3?: S3StoreTuning;
  /** Storage for each login instead of the local folder at the account's home. */
  createFileSystem?: (account: Account) => Promise<FileSystem>;
  /** Time for the sessions' idle timeout (see ManualClock) instead of the system's. */
  clock?: Clock;
  /** FTPS certificate and key (see test/helpers/tls-cert.ts); none: AUTH TLS is refused. */
  tls?: TlsCredentials;
  /** Who may log in instead of the fixed test accounts (anonymous still follows `anonymous`). */
  authenticator?: Authenticator;
}

export async function startServer(start: StartOptions = {}): Promise<TestServer> {
  const host = start.host ?? '127.0.0.1';
  const ownRoot = start.root === undefined;
  const root = await realpath(start.root ?? (await mkdtemp(join(tmpdir(), 'ftpkit-root-'))));
  const options: ServerOptions = {
    ...defaultOptions,
    root,
    host,
    port: 0,
    failedLoginDelayMs: 0,
    // Tests log in wrongly on purpose, all from one address: the ban has its own tests.
    banAfter: 0,
    logLevel: (process.env.FTPKIT_TEST_LOG as ServerOptions['logLevel'] | undefined) ?? 'silent',
    ...start.options,
  };
  const storeKind = start.store ?? 'local';
  const store = await makeTestStore(storeKind, root, start.s3);
  const storeFileSystem = store.createFileSystem;
  const createFileSystem =
    start.createFileSystem ??
    (storeFileSystem && ((account: Account) => storeFileSystem(relative(root, account.home))));
  const authenticators: Authenticator[] = [start.authenticator ?? new TestAuthenticator(root)];
  if (start.anonymous)
    authenticators.push(new AnonymousAuthenticator({ root, writable: start.anonymous === 'write' }));
  const server = new FtpServer({
    options,
    authenticator: chainAuthenticators(authenticators),
    logger: start.logger ?? createLogger(options.logLevel, process.stderr),
    anonymousEnabled: start.anonymous !== undefined,
    ...(createFileSystem && { createFileSystem }),
    ...(start.clock && { clock: start.clock }),
    ...(start.tls && { tls: start.tls }),
  });
  const removeRoot = async (): Promise<void> => {
    store.close();
    if (ownRoot) await rm(root, { recursive: true, force: true });
  };
  let port: number;
  try {
    port = (await server.listen()).port;
  } catch (err) {
    await removeRoot();
    throw err;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    host,
    port,
    root,
    store: storeKind,
    files: store.files,
    user: USER,
    password: PASSWORD,
    url: `ftp://${USER}:${encodeURIComponent(PASSWORD)}@${urlHost}:${port}/`,
    async close() {
      await server.close(2000);
      await removeRoot();
    },
  };
}
