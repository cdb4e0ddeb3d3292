import { expect } from 'chai';
import type { Account, Authenticator } from '../../../src/server/auth/account.js';
import { chainAuthenticators } from '../../../src/server/auth/chain.js';

function fixed(name: string, accepts: string, calls: string[]): Authenticator {
  return {
    authenticate(user: string): Promise<Account | undefined> {
      calls.push(name);
      const account = { user, home: `/home/${name}`, writable: false, anonymous: false };
      return Promise.resolve(user === accepts ? account : undefined);
    },
  };
}

describe('server/auth/chain chainAuthenticators', () => {
  it('asks in order and stops at the first account', async () => {
    const calls: string[] = [];
    const chain = chainAuthenticators([
      fixed('a', 'alice', calls),
      fixed('b', 'bob', calls),
      fixed('c', 'bob', calls),
    ]);
    expect((await chain.authenticate('bob', 'pw'))?.home).to.equal('/home/b');
    expect(calls).to.deep.equal(['a', 'b']);
  });

  it('returns undefined when nobody knows the user, and works empty', async () => {
    const calls: string[] = [];
    const list = [fixed('a', 'alice', calls)];
    const chain = chainAuthenticators(list);
    list.push(fixed('late', 'zed', calls));
    expect(await chain.authenticate('zed', 'pw')).to.equal(undefined);
    expect(calls).to.deep.equal(['a']);
    expect(await chainAuthenticators([]).authenticate('x', 'y')).to.equal(undefined);
  });
});
