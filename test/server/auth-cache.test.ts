// Password logins through the credential cache, as a burst of clients and a guesser meet it.
import { expect } from 'chai';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Authenticator } from '../../src/server/auth/account.js';
import { CredentialCache } from '../../src/server/auth/credential-cache.js';
import { DEFAULT_HASH_CONCURRENCY, hashPassword, scryptSlots } from '../../src/server/auth/password-hash.js';
import { UsersFileAuthenticator } from '../../src/server/auth/users-file.js';
import type { ServerOptions } from '../../src/server/options.js';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type TestServer } from '../helpers/start-server.js';

const ACCOUNTS = 50;

describe('password logins with the credential cache', function () {
  let server: TestServer | undefined;
  let root: string | undefined;
  const controls: RawControl[] = [];
  /** Password checks that reached the users file (each one a scrypt run). */
  let checks = 0;

  async function start(
    failedLoginDelayMs: number,
    options: Partial<ServerOptions> = {},
  ): Promise<TestServer> {
    root = await realpath(await mkdtemp(join(tmpdir(), 'ftpkit-auth-cache-')));
    const hash = await hashPassword('pw-shared');
    const users = Object.fromEntries(
      Array.from({ length: ACCOUNTS }, (_, i) => [`user${i}`, { password: hash }]),
    );
    // In the root only to leave one folder behind; a real users file is kept out of it.
    const file = join(root, 'users.json');
    await writeFile(file, JSON.stringify({ users }), { mode: 0o600 });
    const usersFile = await UsersFileAuthenticator.load(file, root);
    checks = 0;
    const counted: Authenticator = {
      authenticate(user, password, signal) {
        checks += 1;
        return usersFile.authenticate(user, password, signal);
      },
    };
    const authenticator = new CredentialCache(counted, { ttlMs: 600_000 });
    server = await startServer({
      authenticator,
      root,
      options: { failedLoginDelayMs, maxConnectionsPerIp: 200, ...options },
    });
    return server;
  }

  async function login(user: string, password: string): Promise<number> {
    if (server === undefined) throw new Error('no server');
    const control = await RawControl.connect(server.host, server.port);
    controls.push(control);
    expect((await control.command(`USER ${user}`)).code).to.equal(331);
    return (await control.command(`PASS ${password}`, 60_000)).code;
  }

  afterEach(async function () {
    for (const control of controls.splice(0)) await control.close();
    await server?.close();
    server = undefined;
    if (root !== undefined) await rm(root, { recursive: true, force: true });
    root = undefined;
    scryptSlots.limit = DEFAULT_HASH_CONCURRENCY;
  });

  it('lets 50 parallel logins of one account in, then 50 of 50 different accounts', async function () {
    this.timeout(120_000);
    await start(0);
    const one = await Promise.all(Array.from({ length: ACCOUNTS }, () => login('user0', 'pw-shared')));
    expect(one).to.deep.equal(Array<number>(ACCOUNTS).fill(230));
    // They came together: the first one's check let them all in.
    expect(checks).to.equal(1);
    const many = await Promise.all(
      Array.from({ length: ACCOUNTS }, (_, i) => login(`user${i}`, 'pw-shared')),
    );
    expect(many).to.deep.equal(Array<number>(ACCOUNTS).fill(230));
  });

  it('still delays a wrong password while the right one is cached', async function () {
    await start(300);
    expect(await login('user1', 'pw-shared')).to.equal(230);
    const started = Date.now();
    expect(await login('user1', 'pw-wrong')).to.equal(530);
    // A lower bound only: a timer never fires early, however loaded the machine.
    expect(Date.now() - started).to.be.at.least(290);
  });

  it('drops a check still queued when the login timeout closes its session', async function () {
    const server = await start(0, { loginTimeoutMs: 1000, maxHashChecks: 1 });
    // The one check slot is busy, as under a burst of first logins.
    let release = (): void => undefined;
    const busy = scryptSlots.run(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      const control = await RawControl.connect(server.host, server.port);
      controls.push(control);
      expect((await control.command('USER user7')).code).to.equal(331);
      const reply = control.command('PASS pw-shared', 10_000);
      await waitFor(() => scryptSlots.waiting === 1);
      expect((await reply).code).to.equal(421);
      expect(scryptSlots.waiting).to.equal(0);
    } finally {
      release();
      await busy;
    }
    // The slot works on: the next login is checked and let in.
    expect(await login('user7', 'pw-shared')).to.equal(230);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).to.equal(true);
}
