import { expect } from 'chai';
import { parseListing } from '../../../src/protocol/listing/detect.js';
import { Limits } from '../../../src/protocol/limits.js';

const now = new Date('2024-03-20T12:00:00Z');

describe('protocol/listing/detect', () => {
  it('parses a vsftpd LIST with total, "." and ".."', () => {
    const text = [
      'total 12',
      'drwxr-xr-x    3 0        0            4096 Mar 14 09:26 .',
      'drwxr-xr-x    3 0        0            4096 Mar 14 09:26 ..',
      'drwxr-xr-x    2 0        0            4096 Mar 14 09:26 pub',
      '-rw-r--r--    1 0        0              12 Jan 05  2023 readme.txt',
      '',
    ].join('\r\n');
    const entries = parseListing(text, now);
    expect(entries.map((e) => [e.name, e.type])).to.deep.equal([
      ['pub', 'dir'],
      ['readme.txt', 'file'],
    ]);
  });

  it('parses MLSD output and skips cdir and pdir', () => {
    const text = [
      'type=cdir;sizd=4096;modify=20240314092600; /pub',
      'type=pdir;sizd=4096;modify=20240314092600; /',
      'type=dir;sizd=4096;modify=20240314092600; sub',
      'type=file;size=12;modify=20240314092600; a b.txt',
    ].join('\n');
    const entries = parseListing(text, now);
    expect(entries.map((e) => [e.name, e.type, e.size])).to.deep.equal([
      ['sub', 'dir', 4096],
      ['a b.txt', 'file', 12],
    ]);
  });

  it('parses IIS output', () => {
    const text =
      '03-14-24  09:26AM       <DIR>          folder\r\n03-14-24  10:00PM                 1234 file.txt\r\n';
    expect(parseListing(text, now).map((e) => e.name)).to.deep.equal(['folder', 'file.txt']);
  });

  it('picks the parser per line and skips what nothing understands', () => {
    const text = [
      'garbage line',
      '-rw-r--r-- 1 u g 1 Mar 14 09:26 unix',
      'type=file;size=2; mlsx',
      '03-14-24  09:26AM  3 dos',
      '  ',
      `-rw-r--r-- 1 u g 1 Mar 14 09:26 ${'x'.repeat(Limits.maxListingLineBytes)}`,
      'type=file;size=1;',
      'TOTAL 0',
    ].join('\n');
    expect(parseListing(text, now).map((e) => [e.name, e.size])).to.deep.equal([
      ['unix', 1],
      ['mlsx', 2],
      ['dos', 3],
    ]);
  });

  it('returns an empty list for empty input', () => {
    expect(parseListing('')).to.deep.equal([]);
    expect(parseListing('\r\n\r\n')).to.deep.equal([]);
  });

  it('drops names that are not one path component, in every format', () => {
    const listing = [
      'type=file;size=1; ../evil',
      'type=file;size=1; a/b',
      'type=file;size=1; ok',
      '-rw-r--r--    1 0        0               1 Nov 21 10:00 /etc/passwd',
      '-rw-r--r--    1 0        0               1 Nov 21 10:00 fine',
      '11-21-26  10:00AM                    1 dos/evil',
    ].join('\r\n');
    expect(parseListing(listing, new Date('2026-11-21T12:00:00Z')).map((entry) => entry.name)).to.deep.equal([
      'ok',
      'fine',
    ]);
  });
});
