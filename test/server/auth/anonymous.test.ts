import { expect } from 'chai';
import { AnonymousAuthenticator } from '../../../src/server/auth/anonymous.js';

describe('server/auth/anonymous AnonymousAuthenticator', () => {
  const root = '/srv/anon-root';

  it('lets "anonymous" and "ftp" in, in any case, with any password', async () => {
    const auth = new AnonymousAuthenticator({ root, writable: false });
    for (const [user, password] of [
      ['anonymous', 'me@example.com'],
      ['FTP', ''],
      ['Anonymous', 'whatever'],
    ] as const) {
      expect(await auth.authenticate(user, password)).to.deep.equal({
        user: user.toLowerCase(),
        home: root,
        writable: false,
        anonymous: true,
      });
    }
  });

  it('refuses other users', async () => {
    const auth = new AnonymousAuthenticator({ root, writable: false });
    for (const user of ['root', 'anon', 'anonymous ', '', 'ftpuser']) {
      expect(await auth.authenticate(user, 'x'), user).to.equal(undefined);
    }
  });

  it('passes the writable flag on', async () => {
    const auth = new AnonymousAuthenticator({ root, writable: true });
    expect((await auth.authenticate('ftp', 'x'))?.writable).to.equal(true);
  });
});
