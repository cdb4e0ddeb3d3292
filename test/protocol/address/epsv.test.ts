import { expect } from 'chai';
import { formatEpsvReply, parseEpsvArg, parseEpsvReply } from '../../../src/protocol/address/epsv.js';
import { FtpError, ProtocolViolationError, SyntaxErrorInArgs } from '../../../src/protocol/errors.js';
import { Reply } from '../../../src/protocol/reply-codes.js';

describe('protocol/address/epsv', () => {
  it('formats the 229 text', () => {
    expect(formatEpsvReply(6446)).to.equal('Entering Extended Passive Mode (|||6446|).');
    for (const port of [0, 65536, 1.5]) expect(() => formatEpsvReply(port)).to.throw(TypeError);
  });

  describe('parseEpsvReply', () => {
    it('finds the port with any delimiter', () => {
      expect(parseEpsvReply(formatEpsvReply(1))).to.equal(1);
      expect(parseEpsvReply('Entering Extended Passive Mode (|||65535|)')).to.equal(65535);
      expect(parseEpsvReply('EPSV ok (!!!5000!)')).to.equal(5000);
      expect(parseEpsvReply('(###21#) done')).to.equal(21);
    });

    it('throws ProtocolViolationError for missing, mixed-delimiter or out-of-range ports', () => {
      for (const text of [
        'Entering Extended Passive Mode',
        '(||6446|)',
        '(|||6446!)',
        '(!||6446|)',
        '(|||0|)',
        '(|||65536|)',
        '(|||1234567|)',
        '(|||-5|)',
        '(|||abc|)',
        '(   6446 )',
      ]) {
        expect(() => parseEpsvReply(text), text).to.throw(ProtocolViolationError);
      }
    });
  });

  describe('parseEpsvArg', () => {
    it('parses the accepted forms', () => {
      expect(parseEpsvArg('')).to.equal(undefined);
      expect(parseEpsvArg('  ')).to.equal(undefined);
      expect(parseEpsvArg('ALL')).to.equal('all');
      expect(parseEpsvArg('all')).to.equal('all');
      expect(parseEpsvArg('1')).to.equal(4);
      expect(parseEpsvArg('2')).to.equal(6);
      expect(parseEpsvArg(' 2 ')).to.equal(6);
    });

    it('answers 522 for other protocol numbers', () => {
      for (const arg of ['3', '0', '10']) {
        expect(() => parseEpsvArg(arg), arg)
          .to.throw(FtpError, 'Network protocol not supported, use (1,2).')
          .with.property('replyCode', Reply.NetworkProtocolNotSupported);
      }
    });

    it('answers 501 for garbage', () => {
      for (const arg of ['x', 'ALLL', '-1', '1.0', '|||1|']) {
        expect(() => parseEpsvArg(arg), arg).to.throw(SyntaxErrorInArgs);
      }
    });
  });
});
