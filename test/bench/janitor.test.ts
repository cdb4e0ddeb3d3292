import { expect } from 'chai';
import { Janitor } from '../../bench/janitor.js';

describe('bench/janitor', () => {
  it('runs a synchronous undo action once, on the sweep, newest task first', async () => {
    const janitor = new Janitor();
    const order: string[] = [];
    janitor.addSync('accounts', () => order.push('accounts'));
    janitor.add('server', () => {
      order.push('server');
      return Promise.resolve();
    });
    await janitor.sweep();
    await janitor.sweep();
    expect(order).to.deep.equal(['server', 'accounts']);
  });

  it('does not run a synchronous action again once it was released', async () => {
    const janitor = new Janitor();
    let runs = 0;
    const release = janitor.addSync('accounts', () => {
      runs += 1;
    });
    await release();
    await release();
    await janitor.sweep();
    expect(runs).to.equal(1);
  });
});
