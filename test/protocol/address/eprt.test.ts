import { expect } from 'chai';
import { decodeEprt, encodeEprt } from '../../../src/protocol/address/eprt.js';
import { FtpError, SyntaxErrorInArgs } from '../../../src/protocol/errors.js';
import { Reply } from '../../../src/protocol/reply-codes.js';

describe('protocol/address/eprt', () => {
  describe('encodeEprt', () => {
    it('encodes both families', () => {
      expect(encodeEprt({ host: '127.0.0.1', port: 1234 })).to.equal('|1|127.0.0.1|1234|');
      expect(encodeEprt({ host: '::1', port: 1234 })).to.equal('|2|::1|1234|');
      expect(encodeEprt({ host: '[2001:DB8::0:1]', port: 21 })).to.equal('|2|2001:db8::1|21|');
      expect(encodeEprt({ host: '::ffff:10.0.0.1', port: 21 })).to.equal('|1|10.0.0.1|21|');
    });

    it('refuses host names and bad ports', () => {
      expect(() => encodeEprt({ host: 'example.com', port: 21 })).to.throw(TypeError);
      expect(() => encodeEprt({ host: '::1', port: 0 })).to.throw(TypeError);
      expect(() => encodeEprt({ host: '::1', port: 70000 })).to.throw(TypeError);
    });

    it('round-trips through decodeEprt', () => {
      for (const [host, family] of [
        ['10.1.2.3', 4],
        ['fe80::1', 6],
        ['2001:db8::8:800:200c:417a', 6],
      ] as const) {
        expect(decodeEprt(encodeEprt({ host, port: 40000 }))).to.deep.equal({ host, port: 40000, family });
      }
    });
  });

  describe('decodeEprt', () => {
    it('accepts any printable delimiter', () => {
      expect(decodeEprt('|1|132.235.1.2|6275|')).to.deep.equal({
        host: '132.235.1.2',
        port: 6275,
        family: 4,
      });
      expect(decodeEprt('|2|1080::8:800:200C:417A|5282|')).to.deep.equal({
        host: '1080::8:800:200C:417A',
        port: 5282,
        family: 6,
      });
      expect(decodeEprt('!1!10.0.0.1!21!')).to.deep.equal({ host: '10.0.0.1', port: 21, family: 4 });
      expect(decodeEprt('~2~::1~65535~')).to.deep.equal({ host: '::1', port: 65535, family: 6 });
    });

    it('answers 522 for an unsupported family', () => {
      for (const arg of ['|3|1.2.3.4|21|', '|0|1.2.3.4|21|', '|99|x|1|']) {
        let error: unknown;
        try {
          decodeEprt(arg);
        } catch (caught) {
          error = caught;
        }
        expect(error, arg).to.be.instanceOf(FtpError);
        expect((error as FtpError).replyCode).to.equal(Reply.NetworkProtocolNotSupported);
        expect((error as FtpError).message).to.equal('Network protocol not supported, use (1,2).');
      }
    });

    it('answers 501 with a reason for malformed arguments', () => {
      const cases: [string, RegExp][] = [
        ['', /empty/],
        [' 1 1.2.3.4 21 ', /delimiter/],
        ['\u00e9', /delimiter/],
        ['|1|1.2.3.4|21', /end with the delimiter/],
        ['|', /end with the delimiter/],
        ['|1|1.2.3.4|21|x|', /expected 3 fields/],
        ['|1|1.2.3.4|', /expected 3 fields/],
        ['|a|1.2.3.4|21|', /protocol must be a number/],
        ['||1.2.3.4|21|', /protocol must be a number/],
        ['|1|::1|21|', /IPv4/],
        ['|2|1.2.3.4|21|', /IPv6/],
        ['|2|::g|21|', /IPv6/],
        ['|2|1:2:3:4:5:6:7:8:9|21|', /IPv6/],
        ['|2|fe80::1%eth0|21|', /IPv6/],
        ['|1|256.0.0.1|21|', /IPv4/],
        ['|1|localhost|21|', /IPv4/],
        ['|1|1.2.3.4|0|', /1 to 65535/],
        ['|1|1.2.3.4|65536|', /1 to 65535/],
        ['|1|1.2.3.4|-1|', /port must be a number/],
        ['|1|1.2.3.4||', /port must be a number/],
        ['|1|1.2.3.4|123456|', /port must be a number/],
        ['.1.1.2.3.4.21.', /expected 3 fields/],
      ];
      for (const [arg, message] of cases) {
        expect(() => decodeEprt(arg), JSON.stringify(arg)).to.throw(SyntaxErrorInArgs, message);
      }
    });
  });
});
