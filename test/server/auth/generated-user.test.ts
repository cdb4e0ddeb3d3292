import { expect } from 'chai';
import { createGeneratedUser } from '../../../src/server/auth/generated-user.js';

describe('server/auth/generated-user createGeneratedUser', () => {
  const root = '/srv/generated-root';

  it('makes a URL-safe random password of 16 characters', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 20; index++) {
      const { password } = createGeneratedUser(root);
      expect(password).to.match(/^[A-Za-z0-9]{16}$/);
      expect(encodeURIComponent(password)).to.equal(password);
      seen.add(password);
    }
    expect(seen.size).to.equal(20);
  });

  it('lets the user in with that password only, read-write at the root', async () => {
    const { user, password, authenticator } = createGeneratedUser(root);
    expect(user).to.equal('ftpkit');
    expect(await authenticator.authenticate(user, password)).to.deep.equal({
      user,
      home: root,
      writable: true,
      anonymous: false,
    });
    expect(await authenticator.authenticate(user, password.slice(1))).to.equal(undefined);
    expect(await authenticator.authenticate(user, password + 'x')).to.equal(undefined);
    expect(await authenticator.authenticate('someone', password)).to.equal(undefined);
  });

  it('takes a custom user name', async () => {
    const { user, password, authenticator } = createGeneratedUser(root, 'alice');
    expect(user).to.equal('alice');
    expect((await authenticator.authenticate('alice', password))?.user).to.equal('alice');
    expect(await authenticator.authenticate('ftpkit', password)).to.equal(undefined);
  });
});
