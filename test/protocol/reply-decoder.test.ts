import { expect } from 'chai';
import { ProtocolViolationError } from '../../src/protocol/errors.js';
import { Limits } from '../../src/protocol/limits.js';
import { formatReply, type FtpReply } from '../../src/protocol/reply.js';
import { ReplyDecoder } from '../../src/protocol/reply-decoder.js';
import { describeSplit, everySplit } from '../helpers/splits.js';

function decode(chunks: readonly (Buffer | string)[], maxReplyBytes?: number): FtpReply[] {
  const decoder = new ReplyDecoder(maxReplyBytes === undefined ? {} : { maxReplyBytes });
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

const reply = (code: number, lines: string[]): FtpReply => ({ code, lines, text: lines.join('\n') });

describe('protocol/reply-decoder', () => {
  it('parses single-line replies, CRLF or LF', () => {
    expect(decode(['220 Welcome\r\n331 Password?\n'])).to.deep.equal([
      reply(220, ['Welcome']),
      reply(331, ['Password?']),
    ]);
  });

  it('returns nothing until a reply is complete', () => {
    const decoder = new ReplyDecoder();
    expect(decoder.push('22')).to.deep.equal([]);
    expect(decoder.push('0 Hi\r')).to.deep.equal([]);
    expect(decoder.push('\n')).to.deep.equal([reply(220, ['Hi'])]);
  });

  it('parses multi-line replies up to the line with the same code and a space', () => {
    const text = '211-Features:\r\n MDTM\r\n 200 looks like a code\r\n SIZE\r\n211 End\r\n';
    expect(decode([text])).to.deep.equal([
      reply(211, ['Features:', ' MDTM', ' 200 looks like a code', ' SIZE', 'End']),
    ]);
  });

  it('treats lines with another code as text inside a multi-line reply', () => {
    expect(decode(['230-Hello\r\n220 not the end\r\n230 Done\r\n'])).to.deep.equal([
      reply(230, ['Hello', '220 not the end', 'Done']),
    ]);
  });

  it('strips a repeated "123-" prefix on middle lines', () => {
    expect(decode(['230-Welcome\r\n230-to the server\r\n230 Logged in.\r\n'])).to.deep.equal([
      reply(230, ['Welcome', 'to the server', 'Logged in.']),
    ]);
  });

  it('accepts a bare "123" line as the end, and as a reply with empty text', () => {
    expect(decode(['211-Status\r\n ok\r\n211\r\n200\r\n'])).to.deep.equal([
      reply(211, ['Status', ' ok', '']),
      reply(200, ['']),
    ]);
  });

  it('keeps empty lines inside a multi-line reply and skips stray ones between replies', () => {
    expect(decode(['\r\n214-Help\r\n\r\n214 End\r\n\r\n200 ok\r\n'])).to.deep.equal([
      reply(214, ['Help', '', 'End']),
      reply(200, ['ok']),
    ]);
  });

  it('accepts RFC 2228 6xx replies', () => {
    expect(decode(['631 base64data\r\n'])).to.deep.equal([reply(631, ['base64data'])]);
  });

  it('throws ProtocolViolationError for a line that cannot start a reply', () => {
    for (const bad of [
      'hello\r\n',
      '22 short\r\n',
      '2200 long\r\n',
      '099 zero\r\n',
      '220x\r\n',
      ' 220 x\r\n',
    ]) {
      expect(() => decode([bad]), JSON.stringify(bad)).to.throw(ProtocolViolationError);
    }
  });

  it('stays failed after a violation', () => {
    const decoder = new ReplyDecoder();
    expect(() => decoder.push('junk\r\n')).to.throw(ProtocolViolationError);
    expect(() => decoder.push('200 ok\r\n')).to.throw(ProtocolViolationError);
  });

  describe('size limit', () => {
    it('defaults to Limits.maxReplyBytes', () => {
      const decoder = new ReplyDecoder();
      decoder.push('211-start\r\n');
      const line = `${'x'.repeat(1000)}\r\n`;
      expect(() => {
        for (let i = 0; i < Limits.maxReplyBytes / line.length + 2; i++) decoder.push(line);
      }).to.throw(ProtocolViolationError, /exceeds/);
    });

    it('accepts a reply of exactly the limit and refuses one byte more', () => {
      const text = '200 abcdef\r\n';
      expect(decode([text], text.length)).to.deep.equal([reply(200, ['abcdef'])]);
      expect(() => decode([text], text.length - 1)).to.throw(ProtocolViolationError);
    });

    it('bounds a line that never ends', () => {
      const decoder = new ReplyDecoder({ maxReplyBytes: 100 });
      decoder.push('200 ');
      expect(() => decoder.push('x'.repeat(200))).to.throw(ProtocolViolationError);
    });

    it('counts a multi-line reply as a whole, and starts afresh after it', () => {
      const decoder = new ReplyDecoder({ maxReplyBytes: 30 });
      expect(decoder.push('211-aaaa\r\n bbbb\r\n211 cc\r\n')).to.have.length(1);
      expect(decoder.push('211-aaaa\r\n bbbb\r\n211 cc\r\n')).to.have.length(1);
      expect(() => decoder.push('211-aaaa\r\n bbbb\r\n cccccccccccccc\r\n')).to.throw(ProtocolViolationError);
    });

    it('rejects a limit that is not a positive integer', () => {
      expect(() => new ReplyDecoder({ maxReplyBytes: -1 })).to.throw(RangeError);
    });
  });

  describe('every split gives the same result as the whole input', () => {
    const inputs: [string, string][] = [
      ['single-line replies', '220 Service ready\r\n331 Need password\r\n230 In\r\n'],
      ['multi-line with LF endings', '211-Features:\n MLST type*;size*;\n UTF8\n211 End\n200 ok\n'],
      ['multi-byte UTF-8', '257 "/日本/café 🎉" created\r\n250-Ünïcødé\r\n ✓ 完了\r\n250 End\r\n'],
      ['formatted replies', formatReply(211, ['a', '1 b', 'c']) + formatReply(226, 'Done.')],
    ];
    for (const [name, text] of inputs) {
      it(name, () => {
        const input = Buffer.from(text);
        const expected = decode([input]);
        expect(expected.length).to.be.greaterThan(1);
        for (const chunks of everySplit(input)) {
          expect(decode(chunks), describeSplit(chunks)).to.deep.equal(expected);
        }
      });
    }

    it('gives the same replies from coalesced and from separate chunks', () => {
      const parts = ['150 Opening\r\n', '226-Transfer\r\n complete\r\n226 Bye\r\n', '221 Goodbye\r\n'];
      expect(decode(parts)).to.deep.equal(decode([parts.join('')]));
      expect(decode([parts.join('')])).to.have.length(3);
    });
  });

  it('says how many bytes it holds for a reply not complete yet', () => {
    const decoder = new ReplyDecoder();
    expect(decoder.buffered).to.equal(0);
    decoder.push('234 Go ahead.\r\n200 Inj');
    expect(decoder.buffered).to.equal('200 Inj'.length);
    decoder.push('ected\r\n150-a\r\n');
    expect(decoder.buffered).to.equal('150-a\r\n'.length);
    decoder.push('150 b\r\n');
    expect(decoder.buffered).to.equal(0);
  });

  it('does not keep a reference to the caller buffer', () => {
    const decoder = new ReplyDecoder();
    const chunk = Buffer.from('200 abc');
    decoder.push(chunk);
    chunk.fill(0x21);
    expect(decoder.push('\r\n')).to.deep.equal([reply(200, ['abc'])]);
  });
});
