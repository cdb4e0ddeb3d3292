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

  it('drops a waiting task whose signal is aborted, and never runs it', async () => {
    const slots = new HashSlots(1);
    const counter = { now: 0, peak: 0 };
    const first = gate(counter);
    const running = slots.run(first.task);
    let ran = false;
    const controller = new AbortController();
    const waiting = slots.run(() => {
      ran = true;
      return Promise.resolve('late');
    }, controller.signal);
    const after = slots.run(() => Promise.resolve('next'));
    expect(slots.waiting).to.equal(2);
    controller.abort(new Error('session ended'));
    await waiting.then(
      () => expect.fail('should have been dropped'),
      (err: unknown) => expect((err as Error).message).to.equal('session ended'),
    );
    expect(slots.waiting).to.equal(1);
    first.finish();
    expect(await running).to.equal('ok');
    expect(await after).to.equal('next');
    expect(ran).to.equal(false);
    expect([slots.running, slots.waiting]).to.deep.equal([0, 0]);
  });

  it('lets a running task finish when its signal is aborted', async () => {
    const slots = new HashSlots(1);
    const controller = new AbortController();
    const counter = { now: 0, peak: 0 };
    const only = gate(counter);
    const result = slots.run(only.task, controller.signal);
    controller.abort();
    only.finish();
    expect(await result).to.equal('ok');
    expect(slots.running).to.equal(0);
  });

  it('refuses a task whose signal is aborted already', async () => {
    const slots = new HashSlots(1);
    await slots
      .run(() => Promise.resolve(1), AbortSignal.abort(new Error('gone')))
      .then(
        () => expect.fail('should have been refused'),
        (err: unknown) => expect((err as Error).message).to.equal('gone'),
      );
    expect(slots.running).to.equal(0);
  });

  it('starts waiting tasks when the limit is raised, and holds new ones back when it is lowered', async () => {
    const slots = new HashSlots(1);
    const counter = { now: 0, peak: 0 };
    const gates = Array.from({ length: 4 }, () => gate(counter));
    const results = gates.map((g) => slots.run(g.task));
    expect([slots.running, slots.waiting]).to.deep.equal([1, 3]);
    slots.limit = 3;
    expect([slots.running, slots.waiting]).to.deep.equal([3, 1]);
    slots.limit = 1;
    gates[0]!.finish();
    await results[0];
    // Three were running under the old limit: the one that ended hands its slot back, not on.
    expect([slots.running, slots.waiting]).to.deep.equal([2, 1]);
    gates[1]!.finish();
    await results[1];
    expect([slots.running, slots.waiting]).to.deep.equal([1, 1]);
    gates[2]!.finish();
    await results[2];
    expect([slots.running, slots.waiting]).to.deep.equal([1, 0]);
    gates[3]!.finish();
    expect(await results[3]).to.equal('ok');
    expect(counter.peak).to.equal(3);
  });

  it('refuses a limit below 1', () => {
    expect(() => new HashSlots(0)).to.throw(RangeError);
    expect(() => {
      new HashSlots(1).limit = 1.5;
    }).to.throw(RangeError);
  });
});
