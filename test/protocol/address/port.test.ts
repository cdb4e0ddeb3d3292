import { expect } from 'chai';
import { decodeHostPort, encodeHostPort, parsePasvReply } from '../../../src/protocol/address/port.js';
import { ProtocolViolationError, SyntaxErrorInArgs } from '../../../src/protocol/errors.js';

describe('protocol/address/port', () => {
  describe('encodeHostPort', () => {
    it('encodes host and port', () => {
      expect(encodeHostPort({ host: '127.0.0.1', port: 1234 })).to.equal('127,0,0,1,4,210');
      expect(encodeHostPort({ host: '10.20.30.40', port: 65535 })).to.equal('10,20,30,40,255,255');
      expect(encodeHostPort({ host: '::ffff:192.168.1.2', port: 256 })).to.equal('192,168,1,2,1,0');
    });

    it('refuses IPv6, host names and bad ports', () => {
      expect(() => encodeHostPort({ host: '::1', port: 21 })).to.throw(TypeError);
      expect(() => encodeHostPort({ host: 'localhost', port: 21 })).to.throw(TypeError);
      for (const port of [0, -1, 65536, 1.5]) {
        expect(() => encodeHostPort({ host: '127.0.0.1', port }), String(port)).to.throw(TypeError);
      }
    });

    it('round-trips through decodeHostPort and parsePasvReply', () => {
      for (const hp of [
        { host: '1.2.3.4', port: 1 },
        { host: '255.255.255.255', port: 65535 },
        { host: '192.168.0.10', port: 50000 },
      ]) {
        const text = encodeHostPort(hp);
        expect(decodeHostPort(text)).to.deep.equal(hp);
        expect(parsePasvReply(`Entering Passive Mode (${text}).`)).to.deep.equal(hp);
      }
    });
  });

  describe('decodeHostPort', () => {
    it('decodes a PORT argument, surrounding spaces trimmed, leading zeros allowed', () => {
      expect(decodeHostPort('127,0,0,1,4,210')).to.deep.equal({ host: '127.0.0.1', port: 1234 });
      expect(decodeHostPort(' 10,0,0,1,0,21 ')).to.deep.equal({ host: '10.0.0.1', port: 21 });
      expect(decodeHostPort('010,000,000,001,000,021')).to.deep.equal({ host: '10.0.0.1', port: 21 });
    });

    it('refuses malformed arguments with 501 and says what is wrong', () => {
      const cases: [string, RegExp][] = [
        ['256,0,0,1,4,210', /256 is out of range/],
        ['127,0,0,1,4,256', /256 is out of range/],
        ['127,0,0,1,4', /expected 6 numbers, got 5/],
        ['127,0,0,1,4,210,1', /expected 6 numbers, got 7/],
        ['127,0,0,-1,4,210', /"-1" is not a number/],
        ['127,0,0,1,0,0', /port 0/],
        ['127,0,0,1,4,', /"" is not a number/],
        ['127, 0,0,1,4,210', /" 0" is not a number/],
        ['1271,0,0,1,4,210', /"1271" is not a number/],
        ['a,b,c,d,e,f', /"a" is not a number/],
        ['', /expected 6 numbers, got 1/],
        ['127.0.0.1,4,210', /expected 6 numbers/],
        ['0x7f,0,0,1,4,210', /"0x7f"/],
      ];
      for (const [arg, message] of cases) {
        expect(() => decodeHostPort(arg), arg).to.throw(SyntaxErrorInArgs, message);
      }
    });
  });

  describe('parsePasvReply', () => {
    it('finds the address in the forms servers use', () => {
      const expected = { host: '192.168.1.5', port: 50001 };
      for (const text of [
        'Entering Passive Mode (192,168,1,5,195,81).',
        'Entering Passive Mode (192,168,1,5,195,81)',
        'Entering Passive Mode 192,168,1,5,195,81',
        'Entering Passive Mode=192,168,1,5,195,81',
        'Passive mode on (192,168,1,5,195,81) ok 1,2,3,4,5,6',
      ]) {
        expect(parsePasvReply(text), text).to.deep.equal(expected);
      }
    });

    it('throws ProtocolViolationError when no valid group is there', () => {
      for (const text of [
        'Entering Passive Mode.',
        'Entering Passive Mode (192,168,1,5,195).',
        'Entering Passive Mode (300,168,1,5,195,81).',
        'Entering Passive Mode (192,168,1,5,0,0).',
        'Entering Passive Mode (1192,168,1,5,195,81).',
        'Entering Passive Mode (192,168,1,5,195,811).',
      ]) {
        expect(() => parsePasvReply(text), text).to.throw(ProtocolViolationError);
      }
    });
  });
});
