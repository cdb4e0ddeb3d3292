import { expect } from 'chai';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsersFileAuthenticator } from '../../../src/server/auth/users-file.js';
import { UnsafeUsersFileError } from '../../../src/server/auth/users-file-permissions.js';

describe('server/auth/users-file-permissions', function () {
  let base: string;
  let root: string;
  let folder: string;
  let file: string;

  beforeEach(async function () {
    base = await mkdtemp(path.join(os.tmpdir(), 'ftpkit-perms-'));
    root = path.join(base, 'root');
    folder = path.join(base, 'etc');
    file = path.join(folder, 'users.json');
    await mkdir(root);
    await mkdir(folder, { mode: 0o755 });
    await writeFile(file, JSON.stringify({ users: {} }), { mode: 0o600 });
  });

  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  async function loadError(): Promise<Error | undefined> {
    return UsersFileAuthenticator.load(file, root).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
  }

  it('accepts a file only its owner can write, in a folder others cannot write', async function () {
    expect(await loadError()).to.equal(undefined);
    await chmod(file, 0o644);
    expect(await loadError()).to.equal(undefined);
  });

  for (const [mode, who] of [
    [0o666, 'everyone'],
    [0o620, 'its group'],
  ] as const) {
    it(`refuses a users file writable by ${who}, naming the file and its mode`, async function () {
      await chmod(file, mode);
      const error = await loadError();
      expect(error).to.be.instanceOf(UnsafeUsersFileError);
      expect(error?.message).to.equal(
        `users file ${file} is writable by ${who} (mode 0${mode.toString(8)}); ` +
          `anyone who can write it can add an account: chmod 600 ${file}`,
      );
    });
  }

  it('refuses a users file in a folder everyone can write, unless the folder is sticky', async function () {
    await chmod(folder, 0o777);
    expect((await loadError())?.message).to.contain(`is in ${folder}, writable by everyone (mode 0777)`);
    await chmod(folder, 0o1777);
    expect(await loadError()).to.equal(undefined);
  });

  it('refuses a users file owned by another user than root or the server', async function () {
    // Only root can give a file away; CI runs as root.
    if (process.getuid?.() !== 0) this.skip();
    await chown(file, 65534, 65534);
    const error = await loadError();
    expect(error).to.be.instanceOf(UnsafeUsersFileError);
    expect(error?.message).to.contain(`belongs to user id 65534`);
  });
});
