import { expect } from 'chai';
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  realpath,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { randomBytes, scryptSync } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_SCRYPT_COST, hashPassword, needsRehash } from '../../../src/server/auth/password-hash.js';
import { UsersFileAuthenticator, UsersFileError, upsertUser } from '../../../src/server/auth/users-file.js';

describe('server/auth/users-file', () => {
  let base: string;
  let root: string;
  let file: string;
  let aliceHash: string;
  let bobHash: string;

  before(async () => {
    aliceHash = await hashPassword('alice-pw');
    bobHash = await hashPassword('bob pw ✓');
  });

  beforeEach(async () => {
    base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'ftpkit-users-')));
    root = path.join(base, 'root');
    await mkdir(root);
    file = path.join(base, 'users.json');
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function writeUsers(users: unknown): Promise<void> {
    await writeFile(file, JSON.stringify({ users }));
  }

  async function loadError(): Promise<Error> {
    const error = await UsersFileAuthenticator.load(file, root).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error, 'expected load() to fail').to.be.instanceOf(UsersFileError);
    return error as Error;
  }

  describe('UsersFileAuthenticator', () => {
    it('loads users with their homes and access', async () => {
      await writeUsers({
        alice: { password: aliceHash, home: 'alice', access: 'read-write' },
        bob: { password: bobHash, access: 'read-only' },
        'carol.c@example-1': { password: aliceHash, home: path.join(root, 'shared', 'carol') },
      });
      const auth = await UsersFileAuthenticator.load(file, root);
      expect(auth.userNames).to.deep.equal(['alice', 'bob', 'carol.c@example-1']);
      expect(await auth.authenticate('alice', 'alice-pw')).to.deep.equal({
        user: 'alice',
        home: path.join(root, 'alice'),
        writable: true,
        anonymous: false,
      });
      expect(await auth.authenticate('bob', 'bob pw ✓')).to.deep.equal({
        user: 'bob',
        home: root,
        writable: false,
        anonymous: false,
      });
      expect((await auth.authenticate('carol.c@example-1', 'alice-pw'))?.home).to.equal(
        path.join(root, 'shared', 'carol'),
      );
      expect((await stat(path.join(root, 'alice'))).isDirectory()).to.equal(true);
      expect((await stat(path.join(root, 'shared', 'carol'))).isDirectory()).to.equal(true);
    });

    it("upgrades an old-cost hash at its owner's login: file replaced atomically, mode and fields kept", async () => {
      const salt = randomBytes(16);
      const key = scryptSync('old-pw', salt, 32, { N: 16384, r: 8, p: 1 });
      const oldHash = `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
      await writeUsers({
        alice: { password: oldHash, home: 'alice', access: 'read-only' },
        bob: { password: bobHash },
      });
      await chmod(file, 0o640);
      const errors: unknown[] = [];
      const auth = await UsersFileAuthenticator.load(file, root, (_user, err) => errors.push(err));
      const unchanged = await readFile(file, 'utf8');
      expect(await auth.authenticate('alice', 'wrong')).to.equal(undefined);
      expect(await readFile(file, 'utf8')).to.equal(unchanged);

      expect((await auth.authenticate('alice', 'old-pw'))?.writable).to.equal(false);
      const { users } = JSON.parse(await readFile(file, 'utf8')) as {
        users: Record<string, { password: string; home?: string; access?: string }>;
      };
      const { N, r, p } = DEFAULT_SCRYPT_COST;
      expect(users.alice?.password.startsWith(`scrypt$${N}$${r}$${p}$`)).to.equal(true);
      expect(needsRehash(users.alice!.password)).to.equal(false);
      expect(users.alice).to.include({ home: 'alice', access: 'read-only' });
      expect(users.bob?.password).to.equal(bobHash);
      expect(((await stat(file)).mode & 0o777).toString(8)).to.equal('640');
      expect((await readdir(base)).filter((name) => name.endsWith('.tmp'))).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
      // The new hash is the one in use, and a fresh load accepts it.
      expect(await auth.authenticate('alice', 'old-pw')).to.not.equal(undefined);
      expect(
        await (await UsersFileAuthenticator.load(file, root)).authenticate('alice', 'old-pw'),
      ).to.not.equal(undefined);
    });

    it('does not overwrite a password changed in the file since it was loaded', async () => {
      const salt = randomBytes(16);
      const key = scryptSync('old-pw', salt, 32, { N: 16384, r: 8, p: 1 });
      await writeUsers({
        alice: { password: `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}` },
      });
      const auth = await UsersFileAuthenticator.load(file, root);
      await writeUsers({ alice: { password: aliceHash } });
      expect(await auth.authenticate('alice', 'old-pw')).to.not.equal(undefined);
      expect(JSON.parse(await readFile(file, 'utf8'))).to.deep.equal({
        users: { alice: { password: aliceHash } },
      });
    });

    it('refuses wrong passwords, unknown users and other cases of a name', async () => {
      await writeUsers({ alice: { password: aliceHash } });
      const auth = await UsersFileAuthenticator.load(file, root);
      expect(await auth.authenticate('alice', 'bob pw ✓')).to.equal(undefined);
      expect(await auth.authenticate('alice', '')).to.equal(undefined);
      expect(await auth.authenticate('Alice', 'alice-pw')).to.equal(undefined);
      expect(await auth.authenticate('mallory', 'alice-pw')).to.equal(undefined);
      expect(await auth.authenticate('constructor', 'alice-pw')).to.equal(undefined);
    });

    it('hands out a fresh account object each time', async () => {
      await writeUsers({ alice: { password: aliceHash } });
      const auth = await UsersFileAuthenticator.load(file, root);
      const first = await auth.authenticate('alice', 'alice-pw');
      if (first) first.writable = false;
      expect((await auth.authenticate('alice', 'alice-pw'))?.writable).to.equal(true);
    });

    it('resolves a home reached through a link inside the root to its real path', async () => {
      await mkdir(path.join(root, 'real-home'));
      await symlink('real-home', path.join(root, 'home-link'));
      await writeUsers({ alice: { password: aliceHash, home: 'home-link' } });
      const auth = await UsersFileAuthenticator.load(file, root);
      expect((await auth.authenticate('alice', 'alice-pw'))?.home).to.equal(path.join(root, 'real-home'));
    });

    const invalid: [string, unknown, RegExp][] = [
      ['a user that is not an object', { alice: 'pw' }, /user "alice".*object/],
      ['a missing password', { alice: { home: 'x' } }, /user "alice".*"password"/],
      ['a plain-text password', { alice: { password: 'hunter2' } }, /user "alice".*"password".*scrypt/],
      ['an unknown access', { alice: { password: 'HASH', access: 'admin' } }, /user "alice".*"access"/],
      [
        'an unknown field',
        { alice: { password: 'HASH', acess: 'read-only' } },
        /user "alice".*unknown field "acess"/,
      ],
      ['an empty home', { alice: { password: 'HASH', home: '' } }, /user "alice".*"home"/],
      ['a home that is not a string', { alice: { password: 'HASH', home: 7 } }, /user "alice".*"home"/],
      [
        'a relative home climbing out',
        { alice: { password: 'HASH', home: '../escape' } },
        /user "alice".*outside/,
      ],
      ['an absolute home outside', { alice: { password: 'HASH', home: '/' } }, /user "alice".*outside/],
      ['an invalid user name', { 'bad name': { password: 'HASH' } }, /user "bad name".*invalid name/],
    ];
    for (const [what, users, message] of invalid) {
      it(`refuses ${what} with a message naming the user and field`, async () => {
        const withHash = JSON.parse(JSON.stringify(users).replaceAll('HASH', aliceHash)) as unknown;
        await writeUsers(withHash);
        expect((await loadError()).message).to.match(message);
      });
    }

    it('refuses a home that leads outside through a link, without creating anything there', async () => {
      const outside = path.join(base, 'outside');
      await mkdir(outside);
      await symlink(outside, path.join(root, 'escape'));
      await writeUsers({ alice: { password: aliceHash, home: 'escape/alice' } });
      expect((await loadError()).message).to.match(/user "alice".*outside/);
      expect(await readdir(outside)).to.deep.equal([]);
      await writeUsers({ bob: { password: aliceHash, home: 'escape' } });
      expect((await loadError()).message).to.match(/user "bob".*outside/);
    });

    it('refuses a home that is a file', async () => {
      await writeFile(path.join(root, 'afile'), '');
      await writeUsers({ alice: { password: aliceHash, home: 'afile' } });
      expect((await loadError()).message).to.match(/user "alice".*"home"/);
    });

    it('with homes as prefixes (an object store) touches no folder: the root need not exist', async () => {
      const storeRoot = path.join(base, 'not-made');
      await writeUsers({
        alice: { password: aliceHash, home: 'alice/site' },
        bob: { password: aliceHash },
        carol: { password: aliceHash, home: path.join(storeRoot, 'shared') },
      });
      const auth = await UsersFileAuthenticator.load(file, storeRoot, undefined, { homes: 'prefixes' });
      expect((await auth.authenticate('alice', 'alice-pw'))?.home).to.equal(
        path.join(storeRoot, 'alice/site'),
      );
      expect((await auth.authenticate('bob', 'alice-pw'))?.home).to.equal(storeRoot);
      expect((await auth.authenticate('carol', 'alice-pw'))?.home).to.equal(path.join(storeRoot, 'shared'));
      expect((await readdir(base)).sort()).to.deep.equal(['root', 'users.json']);

      for (const home of ['../escape', '/', 'a/../../b']) {
        await writeUsers({ alice: { password: aliceHash, home } });
        const error = await UsersFileAuthenticator.load(file, storeRoot, undefined, {
          homes: 'prefixes',
        }).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error, home).to.be.instanceOf(UsersFileError);
        expect((error as Error).message).to.match(/user "alice".*outside/);
      }
    });

    it('refuses a missing file, bad JSON and a wrong shape', async () => {
      expect((await loadError()).message).to.include('does not exist');
      await writeFile(file, '{ "users": { ');
      expect((await loadError()).message).to.include('not valid JSON');
      await writeFile(file, JSON.stringify({ people: {} }));
      expect((await loadError()).message).to.include('"users"');
      await writeFile(file, JSON.stringify({ users: [] }));
      expect((await loadError()).message).to.include('"users"');
    });
  });

  describe('upsertUser', () => {
    it('creates the file (mode 0600) and then updates one user, leaving the others alone', async () => {
      expect(await upsertUser(file, { name: 'alice', password: 'first', home: 'alice' })).to.equal('created');
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
      expect(await upsertUser(file, { name: 'bob', password: 'bob-pw', readOnly: true })).to.equal('created');
      const before = JSON.parse(await readFile(file, 'utf8')) as {
        users: Record<string, Record<string, string>>;
      };
      expect(before.users.bob?.access).to.equal('read-only');

      expect(await upsertUser(file, { name: 'alice', password: 'second' })).to.equal('updated');
      const after = JSON.parse(await readFile(file, 'utf8')) as {
        users: Record<string, Record<string, string>>;
      };
      expect(after.users.bob).to.deep.equal(before.users.bob);
      expect(after.users.alice?.home).to.equal('alice');
      expect(after.users.alice?.access).to.equal('read-write');
      expect(after.users.alice?.password).not.to.equal(before.users.alice?.password);
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
      expect(await readdir(base)).to.have.members(['root', 'users.json']);

      const auth = await UsersFileAuthenticator.load(file, root);
      expect(await auth.authenticate('alice', 'first')).to.equal(undefined);
      expect((await auth.authenticate('alice', 'second'))?.home).to.equal(path.join(root, 'alice'));
      expect((await auth.authenticate('bob', 'bob-pw'))?.writable).to.equal(false);
    });

    it('changes access only when asked', async () => {
      await upsertUser(file, { name: 'carol', password: 'pw', readOnly: true });
      await upsertUser(file, { name: 'carol', password: 'pw2' });
      let auth = await UsersFileAuthenticator.load(file, root);
      expect((await auth.authenticate('carol', 'pw2'))?.writable).to.equal(false);
      await upsertUser(file, { name: 'carol', password: 'pw3', readOnly: false });
      auth = await UsersFileAuthenticator.load(file, root);
      expect((await auth.authenticate('carol', 'pw3'))?.writable).to.equal(true);
    });

    it('keeps unrelated content of an existing file', async () => {
      await writeFile(
        file,
        JSON.stringify({ comment: 'managed by ops', users: { bob: { password: bobHash } } }),
      );
      await upsertUser(file, { name: 'alice', password: 'pw' });
      const document = JSON.parse(await readFile(file, 'utf8')) as { comment: string; users: object };
      expect(document.comment).to.equal('managed by ops');
      expect(Object.keys(document.users)).to.deep.equal(['bob', 'alice']);
    });

    it('treats a name like __proto__ as an ordinary user', async () => {
      await upsertUser(file, { name: '__proto__', password: 'pw' });
      await upsertUser(file, { name: 'alice', password: 'pw' });
      const auth = await UsersFileAuthenticator.load(file, root);
      expect(auth.userNames).to.have.members(['__proto__', 'alice']);
      expect((await auth.authenticate('__proto__', 'pw'))?.user).to.equal('__proto__');
    });

    it('refuses invalid names, empty passwords and a malformed existing file', async () => {
      for (const name of ['', 'a b', 'x'.repeat(65), 'ünï', 'a/b', 'a:b']) {
        const error = await upsertUser(file, { name, password: 'pw' }).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error, name).to.be.instanceOf(UsersFileError);
      }
      expect(await upsertUser(file, { name: 'x'.repeat(64), password: 'pw' })).to.equal('created');
      const emptyPassword = await upsertUser(file, { name: 'a', password: '' }).catch((err: unknown) => err);
      expect(emptyPassword).to.be.instanceOf(UsersFileError);

      await writeFile(file, 'not json');
      const malformed = await upsertUser(file, { name: 'alice', password: 'pw' }).catch(
        (err: unknown) => err,
      );
      expect(malformed).to.be.instanceOf(UsersFileError);
      expect(await readFile(file, 'utf8')).to.equal('not json');
    });
  });
});
