import { expect } from 'chai';
import { formatCommand, parseCommandLine } from '../../src/protocol/command.js';
import { FtpError, SyntaxErrorInArgs } from '../../src/protocol/errors.js';
import { Reply } from '../../src/protocol/reply-codes.js';

function replyCodeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof FtpError ? error.replyCode : -1;
  }
  return undefined;
}

describe('protocol/command', () => {
  describe('parseCommandLine', () => {
    it('upper-cases the verb and returns an empty argument when there is none', () => {
      expect(parseCommandLine('noop')).to.deep.equal({ verb: 'NOOP', arg: '' });
      expect(parseCommandLine('Pwd')).to.deep.equal({ verb: 'PWD', arg: '' });
    });

    it('keeps the argument byte-exact after exactly one space', () => {
      expect(parseCommandLine('STOR  two  spaces ')).to.deep.equal({ verb: 'STOR', arg: ' two  spaces ' });
      expect(parseCommandLine('RETR "quoted"')).to.deep.equal({ verb: 'RETR', arg: '"quoted"' });
      expect(parseCommandLine('DELE -rf')).to.deep.equal({ verb: 'DELE', arg: '-rf' });
      expect(parseCommandLine('CWD ')).to.deep.equal({ verb: 'CWD', arg: '' });
      expect(parseCommandLine('SITE CHMOD 755 a b')).to.deep.equal({ verb: 'SITE', arg: 'CHMOD 755 a b' });
      expect(parseCommandLine('MKD 日本 ü')).to.deep.equal({ verb: 'MKD', arg: '日本 ü' });
    });

    it('does not treat a tab as the separator', () => {
      expect(replyCodeOf(() => parseCommandLine('RETR\tfile'))).to.equal(Reply.SyntaxError);
    });

    it('accepts unknown verbs of 1 to 8 letters so the dispatcher can answer them', () => {
      expect(parseCommandLine('x').verb).to.equal('X');
      expect(parseCommandLine('abcdefgh z').verb).to.equal('ABCDEFGH');
    });

    it('rejects an empty line and a malformed verb with 500', () => {
      for (const bad of ['', ' ', ' NOOP', 'abcdefghi', 'RE1R x', 'STÖR x', 'US-ER a', '\u00e9']) {
        expect(
          replyCodeOf(() => parseCommandLine(bad)),
          JSON.stringify(bad),
        ).to.equal(Reply.SyntaxError);
      }
    });

    it('rejects a NUL byte anywhere with 501', () => {
      for (const bad of ['RETR a\0b', '\0', 'NO\0OP']) {
        expect(() => parseCommandLine(bad)).to.throw(SyntaxErrorInArgs, 'NUL byte in command.');
      }
    });
  });

  describe('formatCommand', () => {
    it('formats a verb with and without an argument', () => {
      expect(formatCommand('NOOP')).to.equal('NOOP\r\n');
      expect(formatCommand('LIST', '')).to.equal('LIST\r\n');
      expect(formatCommand('RETR', ' a  b ')).to.equal('RETR  a  b \r\n');
      expect(formatCommand('STOR', '日本.txt')).to.equal('STOR 日本.txt\r\n');
    });

    it('round-trips through parseCommandLine', () => {
      for (const arg of ['x', ' lead', 'trail ', '"q"', '-rf', 'a  b']) {
        const wire = formatCommand('STOR', arg);
        expect(parseCommandLine(wire.slice(0, -2))).to.deep.equal({ verb: 'STOR', arg });
      }
    });

    it('refuses CR, LF or NUL in the argument (command injection)', () => {
      for (const arg of ['a\r\nDELE b', 'a\nb', 'a\rb', 'a\0b']) {
        expect(() => formatCommand('RETR', arg), JSON.stringify(arg)).to.throw(TypeError);
      }
    });

    it('refuses a verb with spaces, line breaks or non-ASCII', () => {
      for (const verb of ['', 'NO OP', 'NOOP\r\n', 'A\0', 'RÉTR']) {
        expect(() => formatCommand(verb), JSON.stringify(verb)).to.throw(TypeError);
      }
    });
  });
});
