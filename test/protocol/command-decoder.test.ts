import { expect } from 'chai';
import { CommandDecoder, type DecodedLine } from '../../src/protocol/command-decoder.js';
import { Limits } from '../../src/protocol/limits.js';
import { describeSplit, everySplit } from '../helpers/splits.js';

function decode(chunks: readonly Buffer[], maxLineBytes?: number): DecodedLine[] {
  const decoder = new CommandDecoder(maxLineBytes === undefined ? {} : { maxLineBytes });
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

const line = (text: string): DecodedLine => ({ kind: 'line', line: text });
const IAC = 0xff;

describe('protocol/command-decoder', () => {
  describe('framing', () => {
    it('splits CRLF and bare LF lines and strips the CR', () => {
      expect(decode([Buffer.from('USER bob\r\nPASS x\nNOOP\r\n')])).to.deep.equal([
        line('USER bob'),
        line('PASS x'),
        line('NOOP'),
      ]);
    });

    it('keeps a partial line until its LF arrives', () => {
      const decoder = new CommandDecoder();
      expect(decoder.push(Buffer.from('RETR fi'))).to.deep.equal([]);
      expect(decoder.push(Buffer.from('le.txt\r'))).to.deep.equal([]);
      expect(decoder.push(Buffer.from('\nQU'))).to.deep.equal([line('RETR file.txt')]);
      expect(decoder.push(Buffer.from('IT\r\n'))).to.deep.equal([line('QUIT')]);
    });

    it('emits empty lines and keeps a CR that is not right before the LF', () => {
      expect(decode([Buffer.from('\r\n\nA\rB\r\n')])).to.deep.equal([line(''), line(''), line('A\rB')]);
    });

    it('keeps NUL bytes and other control characters for the parser to judge', () => {
      expect(decode([Buffer.from('STOR a\0b\t c\r\n')])).to.deep.equal([line('STOR a\0b\t c')]);
    });

    it('keeps argument bytes exactly, spaces included', () => {
      expect(decode([Buffer.from('STOR  two  spaces \r\nRETR "quoted"\r\nDELE -rf\r\n')])).to.deep.equal([
        line('STOR  two  spaces '),
        line('RETR "quoted"'),
        line('DELE -rf'),
      ]);
    });
  });

  describe('UTF-8', () => {
    it('decodes multi-byte characters', () => {
      expect(decode([Buffer.from('MKD Ünïcødé 日本 🎉\r\n')])).to.deep.equal([line('MKD Ünïcødé 日本 🎉')]);
    });

    it('turns invalid bytes into U+FFFD and marks the line as not UTF-8', () => {
      const input = Buffer.concat([Buffer.from('CWD a'), Buffer.from([0xc3, 0x28]), Buffer.from('\r\n')]);
      expect(decode([input])).to.deep.equal([{ kind: 'line', line: 'CWD a\uFFFD(', notUtf8: true }]);
      // U+FFFD sent as such is valid UTF-8, and so is a character split across chunks.
      const split = Buffer.from('CWD \uFFFDé\r\n');
      expect(decode([split.subarray(0, 6), split.subarray(6)])).to.deep.equal([line('CWD \uFFFDé')]);
    });
  });

  describe('Telnet IAC', () => {
    it('strips two-byte commands (IP, DM, AO, AYT, NOP)', () => {
      const input = Buffer.from([
        IAC,
        244,
        IAC,
        242,
        ...Buffer.from('AB'),
        IAC,
        245,
        IAC,
        246,
        IAC,
        241,
        0x0d,
        0x0a,
      ]);
      expect(decode([input])).to.deep.equal([line('AB')]);
    });

    it('strips three-byte option negotiation, even when the option byte is LF', () => {
      const input = Buffer.from([
        IAC,
        251,
        0x01, // WILL ECHO
        ...Buffer.from('NO'),
        IAC,
        252,
        0x0a, // WONT with option 10: not a line end
        IAC,
        253,
        0x03, // DO
        IAC,
        254,
        0xff, // DONT with option 255
        ...Buffer.from('OP\r\n'),
      ]);
      expect(decode([input])).to.deep.equal([line('NOOP')]);
    });

    it('turns IAC IAC into one 0xFF data byte', () => {
      // 0xFF is never valid UTF-8, so each data byte reaches the parser as one U+FFFD.
      const one = new CommandDecoder().push(Buffer.from([...Buffer.from('X '), IAC, IAC, 0x0a]));
      expect(one).to.deep.equal([{ kind: 'line', line: 'X \uFFFD', notUtf8: true }]);
      const two = new CommandDecoder().push(Buffer.from([...Buffer.from('X '), IAC, IAC, IAC, IAC, 0x0a]));
      expect(two).to.deep.equal([{ kind: 'line', line: 'X \uFFFD\uFFFD', notUtf8: true }]);
    });

    it('handles ABOR as sent by clients: IAC IP IAC DM then the command', () => {
      const input = Buffer.from([IAC, 244, IAC, 242, ...Buffer.from('ABOR\r\n')]);
      expect(decode([input])).to.deep.equal([line('ABOR')]);
    });

    it('reads ABOR when Linux has taken the urgent DM out of the stream (lftp, tnftp)', () => {
      const input = Buffer.from([IAC, 244, IAC, ...Buffer.from('ABOR\r\n')]);
      for (const chunks of everySplit(input)) {
        expect(decode(chunks), describeSplit(chunks)).to.deep.equal([line('ABOR')]);
      }
    });

    it('reads ABOR whose LF was sent as urgent data and never arrives (Python ftplib)', () => {
      const decoder = new CommandDecoder();
      expect(decoder.push(Buffer.from('ABOR\r'))).to.deep.equal([line('ABOR')]);
      expect(decoder.push(Buffer.from('NOOP\r\n'))).to.deep.equal([line('NOOP')]);
      // and when the LF does come after all, it does not make an empty line
      expect(decode([Buffer.from('abor\r'), Buffer.from('\nNOOP\r\n')])).to.deep.equal([
        line('abor'),
        line('NOOP'),
      ]);
      // only a pending line of exactly ABOR counts
      expect(decode([Buffer.from('XABOR\r')])).to.deep.equal([]);
    });
  });

  describe('every split gives the same result as the whole input', () => {
    const inputs: [string, Buffer][] = [
      ['plain commands', Buffer.from('USER anonymous\r\nPASS guest@\r\nCWD /pub\nLIST -la\r\n')],
      ['multi-byte UTF-8', Buffer.from('STOR café 日本語 🎉.txt\r\nRNFR ñ\r\n')],
      [
        'IAC sequences',
        Buffer.from([
          IAC,
          244,
          IAC,
          242,
          ...Buffer.from('AB'),
          IAC,
          251,
          0x0a,
          ...Buffer.from('OR\r\nX'),
          IAC,
          IAC,
          0x0d,
          0x0a,
        ]),
      ],
      ['an over-long line then a normal one', Buffer.from(`STOR ${'x'.repeat(40)}\r\nNOOP\r\n`)],
    ];
    for (const [name, input] of inputs) {
      it(name, () => {
        const expected = decode([input], 32);
        expect(expected.length).to.be.greaterThan(1);
        for (const chunks of everySplit(input)) {
          expect(decode(chunks, 32), describeSplit(chunks)).to.deep.equal(expected);
        }
      });
    }

    it('handles several lines coalesced in one chunk as well as one per chunk', () => {
      const lines = ['USER a', 'PASS b', 'TYPE I', 'PASV', 'RETR f'];
      const coalesced = decode([Buffer.from(lines.map((l) => `${l}\r\n`).join(''))]);
      const separate = decode(lines.map((l) => Buffer.from(`${l}\r\n`)));
      expect(coalesced).to.deep.equal(lines.map(line));
      expect(separate).to.deep.equal(coalesced);
    });
  });

  describe('length limit', () => {
    it('defaults to Limits.maxCommandLineBytes, terminator included', () => {
      const fits = `${'a'.repeat(Limits.maxCommandLineBytes - 2)}\r\n`;
      expect(decode([Buffer.from(fits)])).to.deep.equal([line('a'.repeat(Limits.maxCommandLineBytes - 2))]);
      const bareLf = `${'a'.repeat(Limits.maxCommandLineBytes - 1)}\n`;
      expect(decode([Buffer.from(bareLf)]))
        .to.have.length(1)
        .and.deep.equal([line('a'.repeat(Limits.maxCommandLineBytes - 1))]);
      const tooLong = `${'a'.repeat(Limits.maxCommandLineBytes)}\n`;
      expect(decode([Buffer.from(tooLong)])).to.deep.equal([{ kind: 'too-long' }]);
    });

    it('reports an over-long line once, drops its rest and parses the next line', () => {
      const input = Buffer.from(`${'y'.repeat(100)}\r\nNOOP\r\n`);
      expect(decode([input], 10)).to.deep.equal([{ kind: 'too-long' }, line('NOOP')]);
    });

    it('reports as soon as the limit is crossed, before the LF arrives', () => {
      const decoder = new CommandDecoder({ maxLineBytes: 8 });
      expect(decoder.push(Buffer.from('1234567'))).to.deep.equal([]);
      expect(decoder.push(Buffer.from('8'))).to.deep.equal([{ kind: 'too-long' }]);
      expect(decoder.push(Buffer.from('9'.repeat(10_000)))).to.deep.equal([]);
      expect(decoder.push(Buffer.from('\nok\n'))).to.deep.equal([line('ok')]);
    });

    it('counts bytes after IAC stripping', () => {
      const input = Buffer.from([IAC, 241, IAC, 241, IAC, 241, ...Buffer.from('abc\r\n')]);
      expect(decode([input], 5)).to.deep.equal([line('abc')]);
    });

    it('rejects a limit that is not a positive integer', () => {
      expect(() => new CommandDecoder({ maxLineBytes: 0 })).to.throw(RangeError);
      expect(() => new CommandDecoder({ maxLineBytes: 1.5 })).to.throw(RangeError);
    });
  });
});
