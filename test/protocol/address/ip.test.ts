import { expect } from 'chai';
import { addressFamily, normalizeAddress, sameHost } from '../../../src/protocol/address/ip.js';

describe('protocol/address/ip', () => {
  describe('normalizeAddress', () => {
    it('turns IPv4-mapped IPv6 into IPv4, in any case and in hex form', () => {
      expect(normalizeAddress('::ffff:127.0.0.1')).to.equal('127.0.0.1');
      expect(normalizeAddress('::FFFF:10.1.2.3')).to.equal('10.1.2.3');
      expect(normalizeAddress('[::ffff:192.168.0.1]')).to.equal('192.168.0.1');
      expect(normalizeAddress('::ffff:7f00:1')).to.equal('127.0.0.1');
      expect(normalizeAddress('0:0:0:0:0:ffff:c0a8:0101')).to.equal('192.168.1.1');
    });

    it('leaves other IPv4-embedding forms as IPv6', () => {
      expect(normalizeAddress('::1.2.3.4')).to.equal('::102:304');
      expect(normalizeAddress('64:ff9b::1.2.3.4')).to.equal('64:ff9b::102:304');
    });

    it('strips brackets and a zone index', () => {
      expect(normalizeAddress('[::1]')).to.equal('::1');
      expect(normalizeAddress('fe80::1%eth0')).to.equal('fe80::1');
      expect(normalizeAddress('[FE80::ABCD%25en0]')).to.equal('fe80::abcd');
    });

    it('gives IPv6 its canonical RFC 5952 form', () => {
      expect(normalizeAddress('0:0:0:0:0:0:0:1')).to.equal('::1');
      expect(normalizeAddress('2001:DB8:0:0:0:0:0:1')).to.equal('2001:db8::1');
      expect(normalizeAddress('2001:0db8:0000:0001:0000:0000:0000:0001')).to.equal('2001:db8:0:1::1');
      expect(normalizeAddress('2001:db8:0:0:1:0:0:1')).to.equal('2001:db8::1:0:0:1');
      expect(normalizeAddress('2001:db8:1:1:1:1:0:1')).to.equal('2001:db8:1:1:1:1:0:1');
      expect(normalizeAddress('::')).to.equal('::');
      expect(normalizeAddress('1::')).to.equal('1::');
    });

    it('leaves IPv4 and host names alone apart from case and spaces', () => {
      expect(normalizeAddress('127.0.0.1')).to.equal('127.0.0.1');
      expect(normalizeAddress(' Example.COM ')).to.equal('example.com');
    });
  });

  describe('addressFamily', () => {
    it('recognises both families, mapped addresses as IPv4', () => {
      expect(addressFamily('10.0.0.1')).to.equal(4);
      expect(addressFamily('::1')).to.equal(6);
      expect(addressFamily('[::1]')).to.equal(6);
      expect(addressFamily('::ffff:10.0.0.1')).to.equal(4);
      expect(addressFamily('fe80::1%lo')).to.equal(6);
    });

    it('returns 0 for anything else', () => {
      for (const bad of ['', 'localhost', '256.1.1.1', '1.2.3', '::g', '1.2.3.4.5', '01.2.3.4']) {
        expect(addressFamily(bad), bad).to.equal(0);
      }
    });
  });

  describe('sameHost', () => {
    it('compares normalised forms', () => {
      expect(sameHost('::1', '0:0:0:0:0:0:0:1')).to.equal(true);
      expect(sameHost('::ffff:127.0.0.1', '127.0.0.1')).to.equal(true);
      expect(sameHost('[2001:DB8::1]', '2001:db8:0::1')).to.equal(true);
      expect(sameHost('fe80::1%eth0', 'fe80::1')).to.equal(true);
    });

    it('tells different hosts apart', () => {
      expect(sameHost('127.0.0.1', '127.0.0.2')).to.equal(false);
      expect(sameHost('::1', '127.0.0.1')).to.equal(false);
      expect(sameHost('::1', '::2')).to.equal(false);
      expect(sameHost('::ffff:10.0.0.1', '10.0.0.2')).to.equal(false);
    });
  });
});
