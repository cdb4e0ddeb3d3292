import { expect } from 'chai';
import { parseCidr, TrustedProxies } from '../../../src/server/proxy/trusted.js';

describe('trusted proxies', function () {
  it('matches IPv4 and IPv6 networks, single addresses, and peers reported IPv4-mapped', function () {
    const trusted = new TrustedProxies(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7', '::ffff:172.16.0.0/108']);
    expect(trusted.has('10.200.3.4')).to.equal(true);
    expect(trusted.has('::ffff:10.1.2.3')).to.equal(true);
    expect(trusted.has('11.0.0.1')).to.equal(false);
    expect(trusted.has('2001:db8:ffff::1')).to.equal(true);
    expect(trusted.has('2001:db9::1')).to.equal(false);
    expect(trusted.has('192.0.2.7')).to.equal(true);
    expect(trusted.has('192.0.2.8')).to.equal(false);
    expect(trusted.has('172.31.9.9')).to.equal(true);
    expect(trusted.has('172.32.0.1')).to.equal(false);
    expect(trusted.has('not an address')).to.equal(false);
  });

  it('refuses what is not a network, naming it', function () {
    for (const text of [
      '',
      'example.com',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '::ffff:0.0.0.0/95',
    ]) {
      expect(() => parseCidr(text), text).to.throw(JSON.stringify(text));
    }
    expect(parseCidr(' ::ffff:10.0.0.0/104 ')).to.deep.equal({ address: '10.0.0.0', prefix: 8, family: 4 });
    expect(parseCidr('::1')).to.deep.equal({ address: '::1', prefix: 128, family: 6 });
  });
});
