import { expect } from 'chai';
import { routeSource } from '../../../src/server/data/route-source.js';

describe('server/data/route-source', function () {
  it('names the source address the kernel picks for a target, as active mode connects without bind', async function () {
    expect(await routeSource('127.0.0.1')).to.equal('127.0.0.1');
    // All of 127/8 is routed through lo with 127.0.0.1 as source: a client at 127.0.0.2 that
    // reached us at 127.0.0.2 needs the bind, one at 127.0.0.1 does not.
    expect(await routeSource('127.0.0.2')).to.equal('127.0.0.1');
    expect(await routeSource('::1')).to.equal('::1');
  });

  it('answers a second time from its cache, without a promise', async function () {
    await routeSource('127.0.0.5');
    expect(routeSource('127.0.0.5')).to.equal('127.0.0.1');
  });

  it('gives undefined for what is not an address', async function () {
    expect(await routeSource('example')).to.equal(undefined);
  });
});
