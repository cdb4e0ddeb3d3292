import { expect } from 'chai';
import { whenReady } from '../../../src/server/commands/when-ready.js';

describe('server/commands/when-ready', () => {
  it('uses a value that is here at once and returns nothing', () => {
    const seen: number[] = [];
    expect(whenReady(1, (value) => seen.push(value))).to.equal(undefined);
    expect(seen).to.deep.equal([1]);
  });

  it('uses a promised value once it resolves, and passes a rejection on', async () => {
    const seen: number[] = [];
    const pending = whenReady(Promise.resolve(2), (value) => seen.push(value));
    expect(seen).to.deep.equal([]);
    await pending;
    expect(seen).to.deep.equal([2]);
    const failed = whenReady(Promise.reject(new Error('gone')), () => seen.push(3));
    let error: unknown;
    await failed?.catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('gone');
    expect(seen).to.deep.equal([2]);
  });
});
