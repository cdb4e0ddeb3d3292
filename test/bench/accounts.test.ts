import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  accountName,
  addFtpkitdUsers,
  chpasswdInput,
  makeCredentials,
  markedAccounts,
  plainTable,
  SYSTEM_ACCOUNT_MARK,
} from '../../bench/accounts.js';

describe('bench/accounts', () => {
  it('names the many accounts with a fixed width and gives each its own password', () => {
    const { main, many } = makeCredentials(3);
    expect(many.map((a) => a.user)).to.deep.equal(['ftpkb000', 'ftpkb001', 'ftpkb002']);
    expect(accountName(199)).to.equal('ftpkb199');
    const passwords = new Set([main.password, ...many.map((a) => a.password)]);
    expect(passwords.size).to.equal(4);
    for (const password of passwords) expect(password).to.match(/^[\w-]{16}$/);
  });

  it('writes chpasswd lines and a plain name -> password table', () => {
    const accounts = [
      { user: 'a', password: 'p1' },
      { user: 'b', password: 'p2' },
    ];
    expect(chpasswdInput(accounts)).to.equal('a:p1\nb:p2\n');
    expect(JSON.parse(plainTable(accounts))).to.deep.equal({ a: 'p1', b: 'p2' });
  });

  it('finds only the accounts carrying the bench mark in an /etc/passwd text', () => {
    const passwd = [
      'root:x:0:0:root:/root:/bin/bash',
      `ftpkb:x:1001:65534:${SYSTEM_ACCOUNT_MARK}:/tmp/w:/bin/sh`,
      'ftpkbx:x:1002:65534:someone else:/home/x:/bin/sh',
      `ftpkb007:x:1003:65534:${SYSTEM_ACCOUNT_MARK}:/tmp/w:/bin/sh`,
      '',
    ].join('\n');
    expect(markedAccounts(passwd)).to.deep.equal(['ftpkb', 'ftpkb007']);
  });

  describe('ftpkitd users file', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ftpkit-accounts-'));
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('is made by the real `ftpkitd passwd`, one writable account per call, no password in clear', async () => {
      const file = join(dir, 'users.json');
      const accounts = [
        { user: 'ftpkb', password: 'first-secret' },
        { user: 'ftpkb000', password: 'second-secret' },
      ];
      await addFtpkitdUsers(file, accounts);
      const text = await readFile(file, 'utf8');
      expect(text).not.to.contain('secret');
      const parsed = JSON.parse(text) as { users: Record<string, { password: string; access: string }> };
      expect(Object.keys(parsed.users)).to.deep.equal(['ftpkb', 'ftpkb000']);
      for (const user of Object.values(parsed.users)) {
        expect(user.password).to.match(/^scrypt\$/);
        expect(user.access).to.equal('read-write');
      }
    });

    it('says which account failed when the bin refuses it', async () => {
      let error: unknown;
      try {
        await addFtpkitdUsers(join(dir, 'users.json'), [{ user: 'ftpkb', password: '' }]);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.match(/^ftpkitd passwd ftpkb: exit 2/);
    });
  });
});
