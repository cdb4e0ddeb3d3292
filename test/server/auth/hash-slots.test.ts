import { expect } from 'chai';
import { HashSlots } from '../../../src/server/auth/hash-slots.js';

/** A task that runs until the test lets it finish, counting how many run at once. */
function gate(counter: { now: number; peak: number }): { task: () => Promise<string>; finish: () => void } {
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    finish: () => finish(),
    async task() {
      counter.now += 1;
      counter.peak = Math.max(counter.peak, counter.now);
      await done;
      counter.now -= 1;
      return 'ok';
    },
  };
}

describe('server/auth/hash-slots HashSlots', () => {
  it('runs at most `limit` tasks at once, the rest in the order they came', async () => {
    const slots = new HashSlots(2);
    const counter = { now: 0, peak: 0 };
    const gates = Array.from({ length: 6 }, () => gate(counter));
    const started: number[] = [];
    const results = gates.map((g, i) =>
      slots.run(() => {
        started.push(i);
        return g.task();
      }),
    );
    expect([slots.running, slots.waiting]).to.deep.equal([2, 4]);
    expect(started).to.deep.equal([0, 1]);
    gates[1]!.finish();
    await results[1];
    expect(started).to.deep.equal([0, 1, 2]);
    for (const g of gates) g.finish();
    expect(await Promise.all(results)).to.deep.equal(Array<string>(6).fill('ok'));
    expect(counter.peak).to.equal(2);
    expect(started).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect([slots.running, slots.waiting]).to.deep.equal([0, 0]);
  });

  it('frees the slot of a task that fails', async () => {
    const slots = new HashSlots(1);
    const failed = slots.run(() => Promise.reject(new Error('boom')));
    const next = slots.run(() => Promise.resolve('after'));
    await failed.then(
      () => expect.fail('should have failed'),
      (err: unknown) => expect((err as Error).message).to.equal('boom'),
    );
    expect(await next).to.equal('after');
    expect(slots.running).to.equal(0);
  });

  it('refuses a limit below 1', () => {
    expect(() => new HashSlots(0)).to.throw(RangeError);
  });
});
