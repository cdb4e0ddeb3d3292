import { expect } from 'chai';
import { LoginThrottle } from '../../../src/server/auth/login-throttle.js';

describe('server/auth/login-throttle LoginThrottle', () => {
  let now: number;
  const clock = (): number => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('doubles the delay with each recent failure, up to the cap', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 100, maxDelayMs: 1000, now: clock });
    const delays = Array.from({ length: 7 }, () => throttle.failureDelay('10.0.0.1'));
    expect(delays).to.deep.equal([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('stays finite and capped after very many failures', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 1, maxDelayMs: 5000, now: clock });
    let delay = 0;
    for (let index = 0; index < 5000; index++) delay = throttle.failureDelay('10.0.0.1');
    expect(delay).to.equal(5000);
  });

  it('keeps addresses apart and forgets one on success', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 10, maxDelayMs: 10_000, now: clock });
    throttle.failureDelay('10.0.0.1');
    throttle.failureDelay('10.0.0.1');
    expect(throttle.failureDelay('10.0.0.2')).to.equal(10);
    expect(throttle.failureDelay('10.0.0.1')).to.equal(40);
    throttle.success('10.0.0.1');
    expect(throttle.failureDelay('10.0.0.1')).to.equal(10);
  });

  it('starts over after a quiet period, without timers', () => {
    const throttle = new LoginThrottle({
      baseDelayMs: 10,
      maxDelayMs: 10_000,
      forgetAfterMs: 60_000,
      now: clock,
    });
    throttle.failureDelay('::1');
    throttle.failureDelay('::1');
    now += 59_999;
    expect(throttle.failureDelay('::1')).to.equal(40);
    now += 60_000;
    expect(throttle.failureDelay('::1')).to.equal(10);
  });

  it('drops stale addresses as it goes', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 10, maxDelayMs: 100, forgetAfterMs: 1000, now: clock });
    for (let index = 0; index < 50; index++) throttle.failureDelay(`10.0.0.${index}`);
    expect(throttle.size).to.equal(50);
    now += 1000;
    throttle.failureDelay('192.0.2.1');
    expect(throttle.size).to.equal(1);
  });

  it('caps the number of addresses, evicting the least recently failed', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 10, maxDelayMs: 10_000, maxEntries: 3, now: clock });
    for (const ip of ['a', 'b', 'c']) {
      throttle.failureDelay(ip);
      throttle.failureDelay(ip);
    }
    // 'a' failed again, so 'b' is now the oldest and goes when 'd' arrives.
    expect(throttle.failureDelay('a')).to.equal(40);
    throttle.failureDelay('d');
    expect(throttle.size).to.equal(3);
    expect(throttle.failureDelay('b')).to.equal(10);
    expect(throttle.size).to.equal(3);
    // 'b' coming back evicted 'c'; 'a' and 'd' are remembered.
    expect(throttle.failureDelay('c')).to.equal(10);
    expect(throttle.failureDelay('d')).to.equal(20);
  });

  it('stays within its cap under a flood of addresses', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 10, maxDelayMs: 100, maxEntries: 100, now: clock });
    for (let index = 0; index < 10_000; index++) throttle.failureDelay(`2001:db8::${index.toString(16)}`);
    expect(throttle.size).to.equal(100);
  });

  it('refuses nonsensical options', () => {
    expect(() => new LoginThrottle({ baseDelayMs: -1, maxDelayMs: 10 })).to.throw(RangeError);
    expect(() => new LoginThrottle({ baseDelayMs: 1, maxDelayMs: Number.NaN })).to.throw(RangeError);
    expect(() => new LoginThrottle({ baseDelayMs: 1, maxDelayMs: 10, maxEntries: 0 })).to.throw(RangeError);
    expect(() => new LoginThrottle({ baseDelayMs: 1, maxDelayMs: 10, forgetAfterMs: Infinity })).to.throw(
      RangeError,
    );
  });

  it('uses the real clock by default', () => {
    const throttle = new LoginThrottle({ baseDelayMs: 5, maxDelayMs: 50 });
    expect(throttle.failureDelay('x')).to.equal(5);
    expect(throttle.failureDelay('x')).to.equal(10);
  });
});
