import { expect } from 'chai';
import type { Account, Authenticator } from '../../../src/server/auth/account.js';
import { CredentialCache } from '../../../src/server/auth/credential-cache.js';
import { ReloadableAuthenticator } from '../../../src/server/auth/reloadable.js';
import { ManualClock } from '../../helpers/manual-clock.js';

/** Accepts `<user>-pw` for every user it lists (all of them when none) and counts its checks. */
class CountingAuthenticator implements Authenticator {
  checks = 0;
  constructor(
    private readonly suffix = '-pw',
    private readonly anonymous = false,
  ) {}

  authenticate(user: string, password: string): Promise<Account | undefined> {
    this.checks += 1;
    if (password !== `${user}${this.suffix}`) return Promise.resolve(undefined);
    return Promise.resolve({ user, home: `/home/${user}`, writable: true, anonymous: this.anonymous });
  }
}

/** Like CountingAuthenticator, but each check ends only when the test says so. */
class GatedAuthenticator implements Authenticator {
  readonly pending: { finish: () => void; fail: (err: Error) => void }[] = [];

  authenticate(user: string, password: string): Promise<Account | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({
        finish: () =>
          resolve(
            password === `${user}-pw`
              ? { user, home: `/home/${user}`, writable: true, anonymous: false }
              : undefined,
          ),
        fail: reject,
      });
    });
  }
}

describe('server/auth/credential-cache CredentialCache', () => {
  let clock: ManualClock;
  let inner: CountingAuthenticator;
  let cache: CredentialCache;

  beforeEach(() => {
    clock = new ManualClock(1_000_000);
    inner = new CountingAuthenticator();
    cache = new CredentialCache(inner, { ttlMs: 600_000, maxEntries: 3, clock });
  });

  it('answers a repeat login with the right password without a new check (hit), as a copy', async () => {
    const first = await cache.authenticate('alice', 'alice-pw');
    expect(first).to.deep.equal({ user: 'alice', home: '/home/alice', writable: true, anonymous: false });
    expect(inner.checks).to.equal(1);
    first!.writable = false;
    expect(await cache.authenticate('alice', 'alice-pw')).to.deep.equal({
      user: 'alice',
      home: '/home/alice',
      writable: true,
      anonymous: false,
    });
    expect(inner.checks).to.equal(1);
  });

  it('checks a user it has not seen, and does not remember a failure (miss)', async () => {
    expect(await cache.authenticate('alice', 'wrong')).to.equal(undefined);
    expect(await cache.authenticate('alice', 'wrong')).to.equal(undefined);
    expect(inner.checks).to.equal(2);
    expect(cache.size).to.equal(0);
  });

  it('still refuses a wrong password, with the full check each time, while the right one is cached', async () => {
    await cache.authenticate('alice', 'alice-pw');
    expect(await cache.authenticate('alice', 'alice-pwX')).to.equal(undefined);
    expect(await cache.authenticate('alice', '')).to.equal(undefined);
    expect(await cache.authenticate('bob', 'alice-pw')).to.equal(undefined);
    expect(inner.checks).to.equal(4);
    // The failures left the right password's entry in place.
    expect(await cache.authenticate('alice', 'alice-pw')).to.not.equal(undefined);
    expect(inner.checks).to.equal(4);
  });

  it('checks again once the entry has expired', async () => {
    await cache.authenticate('alice', 'alice-pw');
    clock.advance(599_999);
    await cache.authenticate('alice', 'alice-pw');
    expect(inner.checks).to.equal(1);
    clock.advance(1);
    expect(await cache.authenticate('alice', 'alice-pw')).to.not.equal(undefined);
    expect(inner.checks).to.equal(2);
    // The new check starts a new period.
    clock.advance(599_999);
    await cache.authenticate('alice', 'alice-pw');
    expect(inner.checks).to.equal(2);
  });

  it('holds at most maxEntries accounts, dropping the least recently used', async () => {
    for (const user of ['a', 'b', 'c']) await cache.authenticate(user, `${user}-pw`);
    await cache.authenticate('a', 'a-pw'); // a is now the most recently used
    expect(inner.checks).to.equal(3);
    await cache.authenticate('d', 'd-pw');
    expect(cache.size).to.equal(3);
    await cache.authenticate('a', 'a-pw');
    await cache.authenticate('c', 'c-pw');
    await cache.authenticate('d', 'd-pw');
    expect(inner.checks).to.equal(4);
    await cache.authenticate('b', 'b-pw'); // b was dropped
    expect(inner.checks).to.equal(5);
    expect(cache.size).to.equal(3);
  });

  it('stays bounded however many accounts log in', async () => {
    for (let i = 0; i < 100; i += 1) await cache.authenticate(`u${i}`, `u${i}-pw`);
    expect(cache.size).to.equal(3);
  });

  it('remembers nothing with a ttl of 0', async () => {
    const off = new CredentialCache(inner, { ttlMs: 0, clock });
    await off.authenticate('alice', 'alice-pw');
    await off.authenticate('alice', 'alice-pw');
    expect(inner.checks).to.equal(2);
    expect(off.size).to.equal(0);
  });

  it('does not cache anonymous logins', async () => {
    const anonymous = new CountingAuthenticator('-pw', true);
    const wrapped = new CredentialCache(anonymous, { ttlMs: 1000, clock });
    await wrapped.authenticate('ftp', 'ftp-pw');
    expect(wrapped.size).to.equal(0);
  });

  it('forgets every password when the users file is reloaded (a new cache per loaded file)', async () => {
    const before = new CountingAuthenticator('-pw');
    const after = new CountingAuthenticator('-new');
    const users = new ReloadableAuthenticator(new CredentialCache(before, { ttlMs: 600_000, clock }));
    expect(await users.authenticate('alice', 'alice-pw')).to.not.equal(undefined);
    users.replace(new CredentialCache(after, { ttlMs: 600_000, clock }));
    expect(await users.authenticate('alice', 'alice-pw')).to.equal(undefined);
    expect(await users.authenticate('alice', 'alice-new')).to.not.equal(undefined);
    expect(after.checks).to.equal(2);
  });

  describe('logins at once', () => {
    let gated: GatedAuthenticator;

    beforeEach(() => {
      gated = new GatedAuthenticator();
      cache = new CredentialCache(gated, { ttlMs: 600_000, clock });
    });

    it('lets logins with the same password wait for the one check under way, each with its own copy', async () => {
      const logins = Array.from({ length: 5 }, () => cache.authenticate('alice', 'alice-pw'));
      await Promise.resolve();
      expect(gated.pending).to.have.length(1);
      gated.pending[0]!.finish();
      const accounts = await Promise.all(logins);
      expect(accounts.every((a) => a?.user === 'alice')).to.equal(true);
      expect(new Set(accounts).size).to.equal(5);
    });

    it('gives a different password its own check, and a failed check to no one: each pays its own', async () => {
      const right = cache.authenticate('alice', 'alice-pw');
      const other = cache.authenticate('alice', 'guess');
      const wrong = [cache.authenticate('bob', 'nope'), cache.authenticate('bob', 'nope')];
      await Promise.resolve();
      expect(gated.pending).to.have.length(3);
      for (const check of gated.pending.splice(0)) check.finish();
      await new Promise((resolve) => setImmediate(resolve));
      // The second "nope" waited for the first and, as that failed, now has a check of its own.
      expect(gated.pending).to.have.length(1);
      gated.pending[0]!.finish();
      expect((await right)?.user).to.equal('alice');
      expect(await other).to.equal(undefined);
      expect(await Promise.all(wrong)).to.deep.equal([undefined, undefined]);
    });

    it('checks on its own when the check it waited for is dropped (that session ended)', async () => {
      const first = cache.authenticate('alice', 'alice-pw');
      const second = cache.authenticate('alice', 'alice-pw');
      await Promise.resolve();
      gated.pending.shift()!.fail(new Error('Session ended.'));
      await first.then(
        () => expect.fail('the dropped check should fail'),
        (err: unknown) => expect((err as Error).message).to.equal('Session ended.'),
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(gated.pending).to.have.length(1);
      gated.pending[0]!.finish();
      expect((await second)?.user).to.equal('alice');
    });
  });
});
