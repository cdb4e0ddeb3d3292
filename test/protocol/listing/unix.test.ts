import { expect } from 'chai';
import type { FileEntry } from '../../../src/protocol/listing/entry.js';
import {
  formatPermissions,
  formatUnixLine,
  isRecent,
  parseUnixLine,
  SIX_MONTHS_MS,
} from '../../../src/protocol/listing/unix.js';

const now = new Date('2024-03-20T12:00:00Z');
const utc = (text: string): Date => new Date(`${text}Z`);

function parsed(line: string, at: Date = now): FileEntry {
  const entry = parseUnixLine(line, at);
  expect(entry, line).to.not.equal(undefined);
  return entry!;
}

describe('protocol/listing/unix', () => {
  describe('formatUnixLine', () => {
    it('formats like ls -l', () => {
      const entry: FileEntry = {
        name: 'pub',
        type: 'dir',
        size: 4096,
        modified: utc('2024-03-14T09:26:00'),
        modifiedPrecision: 'minute',
        mode: 0o755,
        nlink: 2,
      };
      expect(formatUnixLine(entry, now)).to.equal(
        'drwxr-xr-x    2 ftp      ftp          4096 Mar 14 09:26 pub',
      );
    });

    it('uses the given owner, group, link count and mode, and pads the day with a space', () => {
      const entry: FileEntry = {
        name: 'notes.txt',
        type: 'file',
        size: 123456789,
        modified: utc('2024-03-04T23:59:00'),
        mode: 0o640,
        nlink: 12,
        owner: 'alice',
        group: 'staff',
      };
      expect(formatUnixLine(entry, now)).to.equal(
        '-rw-r-----   12 alice    staff    123456789 Mar  4 23:59 notes.txt',
      );
    });

    it('defaults mode by type, nlink to 1, owner and group to ftp, and shows old dates with the year', () => {
      expect(
        formatUnixLine({ name: 'f', type: 'file', size: 5, modified: utc('2020-07-01T10:00:00') }, now),
      ).to.equal('-rw-r--r--    1 ftp      ftp             5 Jul  1  2020 f');
      expect(formatUnixLine({ name: 'd', type: 'dir', size: 0 }, now)).to.match(
        /^drwxr-xr-x +1 ftp +ftp +0 Jan  1  1970 d$/,
      );
    });

    it('ends link entries with " -> target"', () => {
      const entry: FileEntry = {
        name: 'latest',
        type: 'link',
        size: 7,
        target: 'pub/v1',
        modified: utc('2024-03-01T00:00:00'),
      };
      expect(formatUnixLine(entry, now)).to.equal(
        'lrwxrwxrwx    1 ftp      ftp             7 Mar  1 00:00 latest -> pub/v1',
      );
    });

    it('shows special bits and the type of special files', () => {
      expect(formatPermissions(0o4755)).to.equal('rwsr-xr-x');
      expect(formatPermissions(0o4644)).to.equal('rwSr--r--');
      expect(formatPermissions(0o2755)).to.equal('rwxr-sr-x');
      expect(formatPermissions(0o2644)).to.equal('rw-r-Sr--');
      expect(formatPermissions(0o1777)).to.equal('rwxrwxrwt');
      expect(formatPermissions(0o1776)).to.equal('rwxrwxrwT');
      expect(formatPermissions(0o100644)).to.equal('rw-r--r--');
      expect(formatUnixLine({ name: 'null', type: 'other', size: 0, mode: 0o020666 }, now)).to.match(
        /^crw-rw-rw- /,
      );
      expect(formatUnixLine({ name: 'fifo', type: 'other', size: 0, mode: 0o010644 }, now)).to.match(
        /^prw-r--r-- /,
      );
      expect(formatUnixLine({ name: 'x', type: 'other', size: 0 }, now)).to.match(/^-rw-r--r-- /);
    });

    it('never lets a name, target, owner or group start a new line', () => {
      const attack = 'a\r\n-rw-r--r--    1 ftp ftp 0 Jan  1  2020 fake\0';
      const line = formatUnixLine(
        { name: attack, type: 'link', size: 0, target: attack, owner: 'o\nx', group: 'g\r y' },
        now,
      );
      expect(line).to.not.match(/[\r\n\0]/);
      expect(line).to.contain('a??-rw-r--r--');
      expect(line).to.contain(' o_x      g__y ');
      expect(parsed(line).name).to.equal('a??-rw-r--r--    1 ftp ftp 0 Jan  1  2020 fake?');
    });

    describe('six-month rule', () => {
      const dateOf = (modified: Date): string =>
        formatUnixLine({ name: 'f', type: 'file', size: 0, modified }, now).slice(43, 55);

      it('shows the time within the last six months', () => {
        expect(dateOf(now)).to.equal('Mar 20 12:00');
        expect(dateOf(new Date(now.getTime() - SIX_MONTHS_MS + 60_000))).to.equal('Sep 19 21:06');
      });

      it('shows the year from six months back', () => {
        expect(dateOf(new Date(now.getTime() - SIX_MONTHS_MS))).to.equal('Sep 19  2023');
        expect(dateOf(utc('2023-01-01T00:00:00'))).to.equal('Jan  1  2023');
      });

      it('allows one hour into the future, not more', () => {
        expect(dateOf(new Date(now.getTime() + 3_600_000))).to.equal('Mar 20 13:00');
        expect(dateOf(new Date(now.getTime() + 3_600_001))).to.equal('Mar 20  2024');
        expect(dateOf(utc('2025-03-20T12:00:00'))).to.equal('Mar 20  2025');
      });
    });
  });

  describe('parseUnixLine', () => {
    it('parses vsftpd output (numeric ids, zero-padded day)', () => {
      expect(parsed('drwxr-xr-x    2 0        0            4096 Mar 14 09:26 pub')).to.deep.equal({
        name: 'pub',
        type: 'dir',
        size: 4096,
        modified: utc('2024-03-14T09:26:00'),
        modifiedPrecision: 'minute',
        mode: 0o755,
        nlink: 2,
        owner: '0',
        group: '0',
      });
      const big = parsed('-rw-r--r--    1 1000     1000      1048576 Jan 05  2023 big file.bin');
      expect(big).to.include({ name: 'big file.bin', type: 'file', size: 1048576, mode: 0o644 });
      expect(big.modified).to.deep.equal(utc('2023-01-05T00:00:00'));
      // A year instead of a time of day: the day is all the line says.
      expect(big.modifiedPrecision).to.equal('day');
      expect(parsed('lrwxrwxrwx    1 0        0               7 Feb 28 12:00 latest -> pub/v1.2')).to.include(
        {
          name: 'latest',
          type: 'link',
          target: 'pub/v1.2',
          size: 7,
        },
      );
    });

    it('parses proftpd output (names, space-padded day, special bits)', () => {
      expect(parsed('drwxr-xr-x   3 ftp      ftp          4096 Mar  4 09:26 incoming')).to.include({
        name: 'incoming',
        owner: 'ftp',
        group: 'ftp',
        nlink: 3,
      });
      const old = parsed('-rw-r--r--   1 ftp      ftp         12345 Nov  3  2022 README');
      expect(old.modified).to.deep.equal(utc('2022-11-03T00:00:00'));
      expect(parsed('-rwsr-sr-t   1 root     wheel           0 Mar  1 00:00 special').mode).to.equal(0o7755);
      expect(parsed('-rwSr-Sr-T   1 root     wheel           0 Mar  1 00:00 special').mode).to.equal(0o7644);
    });

    it('parses pure-ftpd output (wide columns, names with spaces)', () => {
      const entry = parsed('-rw-r--r--    1 1000       1000               12 Mar 14 09:26 a b  c.txt');
      expect(entry).to.include({ name: 'a b  c.txt', size: 12, owner: '1000', group: '1000' });
    });

    it('parses pyftpdlib output (long user names)', () => {
      expect(parsed('-rw-rw-r--   1 giampaolo giampaolo     8156 Jul 11 11:20 setup.py')).to.include({
        name: 'setup.py',
        owner: 'giampaolo',
        group: 'giampaolo',
        size: 8156,
        mode: 0o664,
      });
      expect(parsed('drwxrwxr-x   5 owner    group        4096 Jun 03  2021 docs').modified).to.deep.equal(
        utc('2021-06-03T00:00:00'),
      );
    });

    it('parses ftp-srv output (single spaces, year after one space)', () => {
      expect(parsed('-rwxrwxrwx 1 1 1          12 Mar 14 09:26 file.txt')).to.include({
        name: 'file.txt',
        size: 12,
        owner: '1',
        group: '1',
      });
      expect(parsed('drwxr-xr-x 1 1 1        4096 Mar 14 2023 dir').modified).to.deep.equal(
        utc('2023-03-14T00:00:00'),
      );
    });

    it('parses a line without group, and with a numeric group', () => {
      const entry = parsed('-rw-r--r--   1 owner   1234 Mar 14 09:26 nogroup.txt');
      expect(entry).to.include({ owner: 'owner', size: 1234, name: 'nogroup.txt' });
      expect(entry).to.not.have.property('group');
      expect(parsed('-rw-r--r--   1 1000   1234 Mar 14 09:26 n')).to.include({ owner: '1000', size: 1234 });
      expect(parsed('-rw-r--r--   1 ftp  1000  1234 Mar 14 09:26 n')).to.include({
        group: '1000',
        size: 1234,
      });
    });

    it('parses device entries as "other" with size 0', () => {
      expect(parsed('crw-rw-rw-   1 root     root       1,   3 Jan  1  2020 null')).to.include({
        name: 'null',
        type: 'other',
        size: 0,
        owner: 'root',
        group: 'root',
      });
      expect(parsed('brw-rw----   1 root disk 8,0 Mar 14 09:26 sda')).to.include({
        type: 'other',
        group: 'disk',
      });
      expect(parsed('srwxr-xr-x   1 root root 0 Mar 14 09:26 sock').type).to.equal('other');
      expect(parsed('prw-r--r--   1 root root 0 Mar 14 09:26 fifo').type).to.equal('other');
    });

    it('accepts ACL and extended-attribute markers after the mode', () => {
      expect(parsed('drwxr-xr-x+  2 u g 4096 Mar 14 09:26 acl').name).to.equal('acl');
      expect(parsed('-rw-r--r--@  1 u g 1 Mar 14 09:26 xattr').name).to.equal('xattr');
      expect(parsed('-rw-r--r--.  1 u g 1 Mar 14 09:26 selinux').name).to.equal('selinux');
    });

    it('keeps leading and trailing spaces and odd characters in names', () => {
      expect(parsed('-rw-r--r-- 1 u g 1 Mar 14 09:26  lead').name).to.equal(' lead');
      expect(parsed('-rw-r--r-- 1 u g 1 Mar 14 09:26 trail ').name).to.equal('trail ');
      expect(parsed('-rw-r--r-- 1 u g 1 Mar 14 09:26 日本 -> not a link').name).to.equal(
        '日本 -> not a link',
      );
      expect(parsed('-rw-r--r-- 1 u g 1 Mar 14 09:26 2024 Mar 14 09:26 x').name).to.equal(
        '2024 Mar 14 09:26 x',
      );
    });

    it('splits a symlink at the first arrow and accepts one without target', () => {
      expect(parsed('lrwxrwxrwx 1 u g 1 Mar 14 09:26 a -> b -> c')).to.include({
        name: 'a',
        target: 'b -> c',
      });
      const bare = parsed('lrwxrwxrwx 1 u g 1 Mar 14 09:26 plain');
      expect(bare).to.include({ name: 'plain', type: 'link' });
      expect(bare).to.not.have.property('target');
    });

    it('returns undefined for total, blank and foreign lines', () => {
      for (const line of [
        'total 12',
        '',
        '   ',
        '03-14-24  09:26AM       <DIR>          name',
        'type=file;size=1; x',
        '-rw-r--r-- 1 u g 1 Foo 14 09:26 badmonth',
        '-rw-r--r-- 1 u g 1 Mar 32 09:26 badday',
        '-rw-r--r-- 1 u g 1 Mar 14 25:00 badhour',
        '-rw-r--r-- 1 u g 1 Mar 14 09:26',
        'xrw-r--r-- 1 u g 1 Mar 14 09:26 badtype',
      ]) {
        expect(parseUnixLine(line, now), line).to.equal(undefined);
      }
    });

    it('accepts a trailing CR', () => {
      expect(parsed('-rw-r--r-- 1 u g 1 Mar 14 09:26 x\r').name).to.equal('x');
    });

    describe('year of a time-of-day date', () => {
      const modifiedOf = (date: string, at: Date): Date | undefined =>
        parseUnixLine(`-rw-r--r-- 1 u g 1 ${date} f`, at)?.modified;

      it('uses the current year when that is not in the future', () => {
        expect(modifiedOf('Mar 20 12:00', now)).to.deep.equal(utc('2024-03-20T12:00:00'));
        expect(modifiedOf('Jan  1 00:00', now)).to.deep.equal(utc('2024-01-01T00:00:00'));
      });

      it('uses the previous year when the current one would be in the future', () => {
        expect(modifiedOf('Dec 25 10:00', now)).to.deep.equal(utc('2023-12-25T10:00:00'));
        expect(modifiedOf('Mar 22 12:00', now)).to.deep.equal(utc('2023-03-22T12:00:00'));
      });

      it('tolerates up to one day ahead (clock skew, server time zones)', () => {
        expect(modifiedOf('Mar 21 12:00', now)).to.deep.equal(utc('2024-03-21T12:00:00'));
        expect(modifiedOf('Mar 21 12:01', now)).to.deep.equal(utc('2023-03-21T12:01:00'));
      });

      it('handles the turn of the year', () => {
        const newYear = utc('2024-01-01T00:30:00');
        expect(modifiedOf('Dec 31 23:50', newYear)).to.deep.equal(utc('2023-12-31T23:50:00'));
        expect(modifiedOf('Jan  1 10:00', newYear)).to.deep.equal(utc('2024-01-01T10:00:00'));
      });
    });
  });

  describe('round trip', () => {
    it('parses what it formats', () => {
      const entries: FileEntry[] = [
        { name: 'a', type: 'file', size: 0, modified: utc('2024-03-20T13:00:00'), mode: 0o600 },
        { name: 'b c', type: 'dir', size: 4096, modified: utc('2023-09-21T08:00:00'), mode: 0o2775 },
        { name: '-dash', type: 'file', size: 99, modified: utc('2019-02-28T00:00:00'), mode: 0o4711 },
        {
          name: 'l',
          type: 'link',
          size: 3,
          modified: utc('2024-01-01T00:00:00'),
          mode: 0o777,
          target: '../x',
        },
        { name: 'ü日本', type: 'file', size: 2 ** 40, modified: utc('2024-03-01T05:06:00'), mode: 0o1000 },
      ];
      for (const entry of entries) {
        const back = parsed(formatUnixLine({ ...entry, nlink: 3, owner: 'o', group: 'g' }, now));
        const modifiedPrecision = isRecent(entry.modified ?? new Date(0), now) ? 'minute' : 'day';
        expect(back, entry.name).to.deep.equal({
          ...entry,
          nlink: 3,
          owner: 'o',
          group: 'g',
          modifiedPrecision,
        });
      }
    });
  });
});
