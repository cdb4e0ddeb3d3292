import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultStateDir,
  generatePassword,
  loadGeneratedAccount,
  StateInsideRootError,
} from '../../../src/server/auth/generated-user.js';
import { upsertUser } from '../../../src/server/auth/users-file.js';

describe('server/auth/generated-user', function () {
  let dir: string;
  let root: string;
  let state: string;

  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), 'ftpkit-generated-'));
    root = join(dir, 'root');
    state = join(dir, 'state');
    await mkdir(root);
  });

  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes URL-safe random passwords of 16 characters', function () {
    const seen = new Set<string>();
    for (let index = 0; index < 20; index++) {
      const password = generatePassword();
      expect(password).to.match(/^[A-Za-z0-9]{16}$/);
      expect(encodeURIComponent(password)).to.equal(password);
      seen.add(password);
    }
    expect(seen.size).to.equal(20);
  });

  it('makes the account once, hashed in a 0600 file, and reuses it without showing the password again', async function () {
    const first = await loadGeneratedAccount(state, root);
    expect(first.user).to.equal('ftpkit');
    expect(first.password).to.match(/^[A-Za-z0-9]{16}$/);
    const password = first.password!;
    const text = await readFile(first.file, 'utf8');
    expect(text).not.to.contain(password);
    expect((await stat(first.file)).mode & 0o777).to.equal(0o600);
    expect((await stat(state)).mode & 0o777).to.equal(0o700);

    const again = await loadGeneratedAccount(state, root);
    expect(again.password).to.equal(undefined);
    expect(again.file).to.equal(first.file);
    const account = await again.authenticator.authenticate('ftpkit', password);
    expect(account).to.include({ user: 'ftpkit', writable: true, anonymous: false });
    expect(await again.authenticator.authenticate('ftpkit', password + 'x')).to.equal(undefined);
  });

  it('keeps a password set with passwd, and makes the account anew when the file is gone', async function () {
    const first = await loadGeneratedAccount(state, root);
    await upsertUser(first.file, { name: 'ftpkit', password: 'chosen by me' });
    const again = await loadGeneratedAccount(state, root);
    expect(again.password).to.equal(undefined);
    expect(await again.authenticator.authenticate('ftpkit', 'chosen by me')).to.not.equal(undefined);
    await rm(first.file);
    const fresh = await loadGeneratedAccount(state, root);
    expect(fresh.password).to.match(/^[A-Za-z0-9]{16}$/);
    expect(fresh.password).to.not.equal(first.password);
  });

  it('refuses a state folder inside the served root', async function () {
    let error: unknown;
    await loadGeneratedAccount(join(root, '.state'), root).catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(StateInsideRootError);
    expect((error as Error).message).to.contain('--state-dir');
  });

  it('keeps state under $XDG_STATE_HOME, else ~/.local/state', function () {
    expect(defaultStateDir({ XDG_STATE_HOME: '/var/state' })).to.equal('/var/state/ftpkitd');
    expect(defaultStateDir({})).to.match(/\/\.local\/state\/ftpkitd$/);
  });
});
