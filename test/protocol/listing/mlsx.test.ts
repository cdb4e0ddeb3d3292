import { expect } from 'chai';
import { ProtocolViolationError } from '../../../src/protocol/errors.js';
import type { FileEntry } from '../../../src/protocol/listing/entry.js';
import {
  formatMlstFeature,
  formatMlsxLine,
  parseMlstFeature,
  parseMlstOpts,
  parseMlsxLine,
  SUPPORTED_FACTS,
} from '../../../src/protocol/listing/mlsx.js';

const all = new Set(SUPPORTED_FACTS);
const utc = (text: string): Date => new Date(`${text}Z`);

const file: FileEntry = {
  name: 'report.txt',
  type: 'file',
  size: 12,
  modified: utc('2024-01-01T12:00:00'),
  mode: 0o644,
  owner: 'alice',
  group: 'staff',
};

describe('protocol/listing/mlsx', () => {
  describe('formatMlsxLine', () => {
    it('writes enabled facts in a fixed order, then one space and the name', () => {
      expect(
        formatMlsxLine(file, { facts: new Set(['type', 'size', 'modify', 'perm']), perm: 'rw' }),
      ).to.equal('type=file;size=12;modify=20240101120000;perm=rw; report.txt');
      expect(formatMlsxLine(file, { facts: all, perm: 'adfrw' })).to.equal(
        'type=file;size=12;modify=20240101120000;perm=adfrw;unix.mode=0644;unix.owner=alice;unix.group=staff; report.txt',
      );
      expect(formatMlsxLine(file, { facts: new Set(['perm', 'size', 'type']), perm: 'r' })).to.equal(
        'type=file;size=12;perm=r; report.txt',
      );
    });

    it('skips unknown facts and facts without a value', () => {
      const bare: FileEntry = { name: 'x', type: 'file', size: 0 };
      expect(
        formatMlsxLine(bare, { facts: new Set(['type', 'unique', 'modify', 'unix.mode', 'perm']) }),
      ).to.equal('type=file; x');
      expect(formatMlsxLine(bare, { facts: new Set() })).to.equal(' x');
    });

    it('writes directory, cdir/pdir, link and special types; no size for directories', () => {
      const dir: FileEntry = { name: 'sub', type: 'dir', size: 4096, mode: 0o2775 };
      const facts = new Set(['type', 'size', 'unix.mode']);
      expect(formatMlsxLine(dir, { facts })).to.equal('type=dir;unix.mode=2775; sub');
      expect(formatMlsxLine(dir, { facts, type: 'cdir', name: '.' })).to.equal('type=cdir;unix.mode=2775; .');
      expect(formatMlsxLine(dir, { facts, type: 'pdir', name: '..' })).to.equal(
        'type=pdir;unix.mode=2775; ..',
      );
      // A directory's own size is pure-ftpd's sizd fact, which files never carry.
      const withSizd = new Set([...facts, 'sizd']);
      expect(formatMlsxLine(dir, { facts: withSizd })).to.equal('type=dir;sizd=4096;unix.mode=2775; sub');
      expect(formatMlsxLine(file, { facts: withSizd })).to.equal(
        'type=file;size=12;unix.mode=0644; report.txt',
      );
      expect(formatMlsxLine({ name: 'l', type: 'link', size: 3 }, { facts })).to.equal(
        'type=OS.unix=symlink;size=3; l',
      );
      expect(formatMlsxLine({ name: 'p', type: 'other', size: 0 }, { facts })).to.equal(
        'type=OS.unix=special;size=0; p',
      );
    });

    it('uses the name option for MLST (full path)', () => {
      expect(formatMlsxLine(file, { facts: new Set(['size']), name: '/home/alice/report.txt' })).to.equal(
        'size=12; /home/alice/report.txt',
      );
    });

    it('keeps fact values and the name from breaking the line', () => {
      const hostile: FileEntry = {
        name: 'a\r\ntype=file;size=1; fake\0',
        type: 'file',
        size: 1,
        owner: 'o;size=9 x',
        group: 'g\nh',
      };
      const line = formatMlsxLine(hostile, { facts: all, perm: 'r;w x' });
      expect(line).to.not.match(/[\r\n\0]/);
      expect(line).to.equal(
        'type=file;size=1;perm=rw;unix.owner=o_size=9_x;unix.group=g_h; a??type=file;size=1; fake?',
      );
      const back = parseMlsxLine(line);
      expect(back.name).to.equal('a??type=file;size=1; fake?');
      expect(back.size).to.equal(1);
    });

    it('formats modify as UTC with four-digit years', () => {
      expect(
        formatMlsxLine(
          { ...file, modified: new Date(Date.UTC(999, 0, 2, 3, 4, 5)) },
          { facts: new Set(['modify']) },
        ),
      ).to.equal('modify=09990102030405; report.txt');
      expect(
        formatMlsxLine({ ...file, modified: new Date(Number.NaN) }, { facts: new Set(['modify']) }),
      ).to.equal(' report.txt');
    });
  });

  describe('FEAT and OPTS', () => {
    it('marks enabled facts with "*"', () => {
      expect(formatMlstFeature(new Set(['type', 'size', 'modify']))).to.equal(
        'MLST type*;size*;sizd;modify*;perm;unix.mode;unix.owner;unix.group;',
      );
      expect(formatMlstFeature(all)).to.equal(
        'MLST type*;size*;sizd*;modify*;perm*;unix.mode*;unix.owner*;unix.group*;',
      );
    });

    it('keeps only supported facts, case-insensitive, lower-case', () => {
      expect([...parseMlstOpts('Type;SIZE;unique;modify;')]).to.deep.equal(['type', 'size', 'modify']);
      expect([...parseMlstOpts('UNIX.mode; perm ;;')]).to.deep.equal(['unix.mode', 'perm']);
      expect(parseMlstOpts('').size).to.equal(0);
      expect(parseMlstOpts('bogus;').size).to.equal(0);
    });

    it('reads which facts a FEAT line offers and which are on', () => {
      expect(parseMlstFeature('type*;perm*;size*;unique*;unix.mode;UNIX.uid;')).to.deep.equal([
        { fact: 'type', enabled: true },
        { fact: 'perm', enabled: true },
        { fact: 'size', enabled: true },
        { fact: 'unique', enabled: true },
        { fact: 'unix.mode', enabled: false },
        { fact: 'unix.uid', enabled: false },
      ]);
      // The last ";" is optional, and a line of its own formatting reads back.
      expect(parseMlstFeature('Type*;Size').map(({ fact }) => fact)).to.deep.equal(['type', 'size']);
      const line = formatMlstFeature(new Set(['type'])).slice('MLST '.length);
      expect(parseMlstFeature(line).filter(({ enabled }) => enabled)).to.deep.equal([
        { fact: 'type', enabled: true },
      ]);
      expect(parseMlstFeature('')).to.deep.equal([]);
    });
  });

  describe('parseMlsxLine', () => {
    it('parses proftpd output', () => {
      const entry = parseMlsxLine(
        'modify=20240314092600;perm=flcdmpe;type=dir;unique=803U2;UNIX.group=1000;UNIX.mode=0755;UNIX.owner=1000; incoming',
      );
      expect(entry).to.deep.equal({
        name: 'incoming',
        type: 'dir',
        size: 0,
        modified: utc('2024-03-14T09:26:00'),
        modifiedPrecision: 'second',
        mode: 0o755,
        owner: '1000',
        group: '1000',
        facts: {
          modify: '20240314092600',
          perm: 'flcdmpe',
          type: 'dir',
          unique: '803U2',
          'unix.group': '1000',
          'unix.mode': '0755',
          'unix.owner': '1000',
        },
      });
    });

    it('parses pure-ftpd / pyftpdlib output (uid/gid facts)', () => {
      const entry = parseMlsxLine(
        'type=file;size=8156;perm=r;modify=20230711112000;unix.mode=0664;unix.uid=1000;unix.gid=100;unique=803g2; setup.py',
      );
      expect(entry).to.include({
        name: 'setup.py',
        type: 'file',
        size: 8156,
        mode: 0o664,
        owner: '1000',
        group: '100',
      });
    });

    it('reads unix.mode in octal, with or without the "0o" pyftpdlib puts before it', () => {
      expect(parseMlsxLine('type=file;unix.mode=0o644; a').mode).to.equal(0o644);
      expect(parseMlsxLine('type=dir;unix.mode=0O2775; b').mode).to.equal(0o2775);
      expect(parseMlsxLine('type=file;unix.mode=755; c').mode).to.equal(0o755);
      expect(parseMlsxLine('type=file;unix.mode=0o8; d')).not.to.have.property('mode');
      expect(parseMlsxLine('type=file;unix.mode=rwx; e')).not.to.have.property('mode');
    });

    it('parses fractional seconds, sizd, cdir and pdir', () => {
      const iis = parseMlsxLine('type=file;size=1234;modify=20240314092612.123; name.txt');
      expect(iis.modified?.toISOString()).to.equal('2024-03-14T09:26:12.123Z');
      const cdir = parseMlsxLine('type=cdir;sizd=4096;modify=20240314092612; .');
      expect(cdir).to.include({ type: 'dir', size: 4096, name: '.' });
      expect(cdir.facts?.type).to.equal('cdir');
      expect(parseMlsxLine('type=pdir; ..').type).to.equal('dir');
    });

    it('recognises symlinks, with or without a target', () => {
      expect(parseMlsxLine('type=OS.unix=symlink;size=5; l').type).to.equal('link');
      expect(parseMlsxLine('Type=os.UNIX=slink:/real/path; l2')).to.include({
        type: 'link',
        target: '/real/path',
      });
      expect(parseMlsxLine('type=OS.unix=slink:; l3')).to.not.have.property('target');
      expect(parseMlsxLine('type=OS.unix=blockdev; dev').type).to.equal('other');
      expect(parseMlsxLine('size=1; untyped').type).to.equal('other');
    });

    it('takes everything after the first space as the name', () => {
      expect(parseMlsxLine('type=file;size=1; a;b=c d ').name).to.equal('a;b=c d ');
      expect(parseMlsxLine('type=file;size=1;  lead').name).to.equal(' lead');
    });

    it('accepts the leading space of MLST and a line without facts', () => {
      expect(parseMlsxLine(' type=file;size=1; /path/x')).to.include({
        name: '/path/x',
        size: 1,
        type: 'file',
      });
      expect(parseMlsxLine(' name only')).to.deep.equal({
        name: 'name only',
        type: 'other',
        size: 0,
        facts: {},
      });
    });

    it('is lenient: upper-case keys, no final ";", malformed values, facts without "="', () => {
      const entry = parseMlsxLine('TYPE=file;Size=abc;MODIFY=2024;junk;unix.mode=999 n');
      expect(entry).to.deep.equal({
        name: 'n',
        type: 'file',
        size: 0,
        facts: { type: 'file', size: 'abc', modify: '2024', 'unix.mode': '999' },
      });
    });

    it('does not let a fact named __proto__ touch the prototype', () => {
      const entry = parseMlsxLine('type=file;__proto__=x; n');
      expect(Object.getPrototypeOf(entry.facts)).to.equal(Object.prototype);
      expect(entry.facts).to.deep.equal({ type: 'file' });
    });

    it('throws ProtocolViolationError without a name or without facts', () => {
      for (const line of [
        'type=file;size=1;',
        // Facts, the one space, then nothing: found by the listing property test.
        '!= ',
        'type=file; ',
        'nospace',
        'plain text line',
        '-rw-r--r-- 1 u g 1 Mar 14 09:26 x',
      ]) {
        expect(() => parseMlsxLine(line), line).to.throw(ProtocolViolationError);
      }
    });

    it('reads modify strictly, leaving it out when malformed', () => {
      const modifiedOf = (value: string): Date | undefined => parseMlsxLine(`modify=${value}; n`).modified;
      expect(modifiedOf('19991231235959')?.toISOString()).to.equal('1999-12-31T23:59:59.000Z');
      expect(modifiedOf('20240101000000.5')?.getUTCMilliseconds()).to.equal(500);
      for (const bad of [
        '2024010100000',
        '202401010000000',
        '20240101000000.',
        'x0240101000000',
        '20240231000000',
      ]) {
        expect(modifiedOf(bad), bad).to.equal(undefined);
      }
    });
  });

  describe('round trip', () => {
    it('parses what it formats', () => {
      const entries: FileEntry[] = [
        file,
        { name: 'dir with spaces', type: 'dir', size: 0, modified: utc('2020-02-29T23:59:59'), mode: 0o1777 },
        { name: ';=;', type: 'file', size: 2 ** 40, modified: utc('2024-06-30T00:00:01') },
        { name: 'ü 日本', type: 'link', size: 4, mode: 0o777, owner: 'bob', group: 'users' },
      ];
      for (const entry of entries) {
        const back = parseMlsxLine(formatMlsxLine(entry, { facts: all }));
        const { facts, ...rest } = back;
        const precision = entry.modified === undefined ? {} : { modifiedPrecision: 'second' };
        expect(rest, entry.name).to.deep.equal({ ...entry, ...precision });
        expect(facts).to.have.property('type');
      }
    });
  });
});
