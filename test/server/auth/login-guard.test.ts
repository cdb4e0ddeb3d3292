import { expect } from 'chai';
import { LoginGuard, type LoginGuardOptions } from '../../../src/server/auth/login-guard.js';

describe('server/auth/login-guard', () => {
  let now = 0;
  const guard = (options: Partial<LoginGuardOptions> = {}): LoginGuard =>
    new LoginGuard({
      baseDelayMs: 100,
      maxDelayMs: 1000,
      banAfter: 3,
      banMs: 60_000,
      now: () => now,
      ...options,
    });

  beforeEach(() => {
    now = 1_000_000;
  });

  it('delays every login from an address with recent failures, right passwords too, doubling each time', () => {
    const g = guard({ banAfter: 0 });
    expect(g.check('a', 'alice').delayMs).to.equal(0);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      g.failure('a', 'alice');
      delays.push(g.check('a', 'alice').delayMs);
    }
    expect(delays).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    // Another address is not slowed.
    expect(g.check('b', 'alice').delayMs).to.equal(0);
  });

  it('bans an address after banAfter failures, whatever the account, and a success erases nothing', () => {
    const g = guard();
    g.failure('a', 'alice');
    g.failure('a', 'bob');
    expect(g.check('a', 'carol').banned).to.equal(undefined);
    g.failure('a', 'carol');
    expect(g.check('a', 'carol').banned).to.equal('address');
    expect(g.check('a', 'anonymous').banned).to.equal('address');
    expect(g.check('b', 'alice').banned).to.equal(undefined);
    expect(g.isBanned('a')).to.equal(true);
    now += 59_999;
    expect(g.isBanned('a')).to.equal(true);
    now += 1;
    expect(g.isBanned('a')).to.equal(false);
  });

  it('bans again for twice as long when the address keeps failing', () => {
    const g = guard();
    for (let i = 0; i < 3; i++) g.failure('a', 'x');
    now += 60_000;
    expect(g.isBanned('a')).to.equal(false);
    for (let i = 0; i < 3; i++) g.failure('a', 'x');
    now += 60_000;
    expect(g.isBanned('a')).to.equal(true);
    now += 60_000;
    expect(g.isBanned('a')).to.equal(false);
  });

  it('failures while banned count toward the next ban', () => {
    const g = guard();
    for (let i = 0; i < 3; i++) g.failure('a', 'x');
    for (let i = 0; i < 3; i++) g.failure('a', 'x');
    now += 60_000;
    // The ban is over, and the failures made during it ban again at the next one, for twice as long.
    g.failure('a', 'x');
    expect(g.isBanned('a')).to.equal(true);
    now += 119_999;
    expect(g.isBanned('a')).to.equal(true);
  });

  it('bans an account guessed at from many addresses', () => {
    const g = guard({ banAfter: 0, banAccountAfter: 4 });
    for (let i = 0; i < 4; i++) g.failure(`10.0.0.${i}`, 'alice');
    expect(g.check('10.9.9.9', 'alice').banned).to.equal('account');
    expect(g.check('10.9.9.9', 'bob').banned).to.equal(undefined);
  });

  it('forgets a quiet address after a while, without timers', () => {
    const g = guard({ forgetAfterMs: 10_000 });
    g.failure('a', 'x');
    now += 10_000;
    expect(g.check('a', 'x').delayMs).to.equal(0);
    expect(g.size).to.equal(0);
  });

  it('stays within its cap under a flood of addresses', () => {
    const g = guard({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) g.failure(`ip${i}`, `user${i}`);
    expect(g.size).to.equal(100);
    expect(g.check('ip9999', 'user9999').delayMs).to.equal(100);
  });

  it('refuses nonsensical options', () => {
    expect(() => guard({ banAfter: -1 })).to.throw(RangeError);
    expect(() => guard({ baseDelayMs: Number.NaN })).to.throw(RangeError);
    expect(() => guard({ maxEntries: 0 })).to.throw(RangeError);
  });
});
