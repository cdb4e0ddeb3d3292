import { expect } from 'chai';
import { formatReply, makeReply } from '../../src/protocol/reply.js';
import { ReplyDecoder } from '../../src/protocol/reply-decoder.js';

describe('protocol/reply', () => {
  it('formats a single line', () => {
    expect(formatReply(226, 'Done.')).to.equal('226 Done.\r\n');
    expect(formatReply(200, ['Only one.'])).to.equal('200 Only one.\r\n');
  });

  it('formats an empty array as one line with empty text', () => {
    expect(formatReply(200, [])).to.equal('200 \r\n');
  });

  it('formats several lines with the code on the first and the last', () => {
    expect(formatReply(211, ['Features:', ' MDTM', ' SIZE', 'End'])).to.equal(
      '211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n',
    );
    expect(formatReply(214, ['a', 'b'])).to.equal('214-a\r\n214 b\r\n');
  });

  it('indents a middle line that starts with a digit (RFC 959 4.2)', () => {
    expect(formatReply(211, ['Status:', '211 not the end', '5 files', 'End'])).to.equal(
      '211-Status:\r\n 211 not the end\r\n 5 files\r\n211 End\r\n',
    );
  });

  it('never lets text forge a reply line', () => {
    const attacks = ['x\r\n230 fake', 'x\n230 fake', 'x\r230 fake', 'x\0y', '\r\n'];
    for (const attack of attacks) {
      const single = formatReply(550, attack);
      expect(single.split('\r\n'), JSON.stringify(attack)).to.have.length(2);
      expect(single).to.not.match(/[\r\n\0](?!\n?$)/);
      const multi = formatReply(211, [attack, attack, attack]);
      expect(multi.split('\r\n')).to.have.length(4);
      const replies = new ReplyDecoder().push(single + multi);
      expect(replies.map((r) => r.code)).to.deep.equal([550, 211]);
    }
  });

  it('rejects a code outside 100-699', () => {
    for (const code of [99, 700, 22.5, Number.NaN]) {
      expect(() => formatReply(code, 'x'), String(code)).to.throw(RangeError);
    }
  });

  it('makeReply joins lines into text', () => {
    expect(makeReply(211, ['a', ' b', 'c'])).to.deep.equal({
      code: 211,
      lines: ['a', ' b', 'c'],
      text: 'a\n b\nc',
    });
  });
});
