import { expect } from 'chai';
import { parseQuotedPath, quotePath } from '../../src/protocol/quote.js';
import { formatReply } from '../../src/protocol/reply.js';

describe('protocol/quote', () => {
  it('quotes a path and doubles embedded quotes (RFC 959 257)', () => {
    expect(quotePath('/')).to.equal('"/"');
    expect(quotePath('/a "b"')).to.equal('"/a ""b"""');
    expect(quotePath('/"')).to.equal('"/"""');
  });

  it('replaces CR, LF and NUL so the reply cannot be split', () => {
    expect(quotePath('/a\r\n257 "/fake"')).to.equal('"/a??257 ""/fake"""');
    expect(quotePath('/x\0')).to.equal('"/x?"');
    expect(formatReply(257, `${quotePath('/a\r\n230 x')} created.`).split('\r\n')).to.have.length(2);
  });

  it('parses the path out of a 257 text', () => {
    expect(parseQuotedPath('"/home/u" is the current directory')).to.equal('/home/u');
    expect(parseQuotedPath('"/a ""b""" created.')).to.equal('/a "b"');
    expect(parseQuotedPath('MKD ok: "/x" and "/y"')).to.equal('/x');
    expect(parseQuotedPath('""')).to.equal('');
    expect(parseQuotedPath('"日本 ü"')).to.equal('日本 ü');
  });

  it('returns undefined without a complete quoted string', () => {
    expect(parseQuotedPath('/home/u is the current directory')).to.equal(undefined);
    expect(parseQuotedPath('"/unterminated')).to.equal(undefined);
    expect(parseQuotedPath('"/a ""b')).to.equal(undefined);
    expect(parseQuotedPath('"')).to.equal(undefined);
  });

  it('round-trips', () => {
    for (const path of ['/', '/a b', '/"', '/""', '/a"b"c', '/"x"/', '/ü"日"']) {
      expect(parseQuotedPath(`${quotePath(path)} created`), path).to.equal(path);
    }
  });
});
