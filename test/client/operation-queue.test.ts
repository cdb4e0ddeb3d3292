import { expect } from 'chai';
import { OperationQueue } from '../../src/client/operation-queue.js';
import { rejectionOf } from '../helpers/rejection.js';

/** An operation that records its start and end, and ends when told to. */
function step(log: string[], name: string): { run: () => Promise<string>; finish: () => void } {
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: async () => {
      log.push(`start ${name}`);
      await ended;
      log.push(`end ${name}`);
      return name;
    },
    finish: () => finish(),
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('client/operation-queue', () => {
  it('runs operations one at a time, in call order, whatever order they would finish in', async () => {
    const queue = new OperationQueue();
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => step(log, name));
    const results = [a, b, c].map((s) => queue.run(undefined, s!.run));
    c!.finish();
    b!.finish();
    await turn();
    expect(log).to.deep.equal(['start a']);
    a!.finish();
    expect(await Promise.all(results)).to.deep.equal(['a', 'b', 'c']);
    expect(log).to.deep.equal(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('goes on after an operation that fails', async () => {
    const queue = new OperationQueue();
    const failed = queue.run(undefined, () => Promise.reject(new Error('no')));
    const next = queue.run(undefined, () => Promise.resolve('next'));
    expect((await rejectionOf(failed)).message).to.equal('no');
    expect(await next).to.equal('next');
  });

  it('drops an operation whose signal fires while it waits, and the next one still waits its turn', async () => {
    const queue = new OperationQueue();
    const log: string[] = [];
    const first = step(log, 'first');
    const running = queue.run(undefined, first.run);
    const controller = new AbortController();
    let dropped = false;
    const waiting = queue.run(controller.signal, () => {
      dropped = true;
      return Promise.resolve('never');
    });
    const last = step(log, 'last');
    const after = queue.run(undefined, last.run);
    controller.abort(new Error('not wanted'));
    expect((await rejectionOf(waiting)).message).to.equal('not wanted');
    await turn();
    // The first is still running: the last must not have started.
    expect(log).to.deep.equal(['start first']);
    first.finish();
    last.finish();
    await Promise.all([running, after]);
    expect(log).to.deep.equal(['start first', 'end first', 'start last', 'end last']);
    expect(dropped).to.equal(false);
  });

  it('rejects at once, running nothing, when the signal has already fired', async () => {
    const queue = new OperationQueue();
    const error = await rejectionOf(
      queue.run(AbortSignal.abort(new Error('too late')), () => Promise.resolve(1)),
    );
    expect(error.message).to.equal('too late');
  });
});
