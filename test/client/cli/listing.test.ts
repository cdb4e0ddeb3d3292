import { expect } from 'chai';
import type { FileEntry } from '../../../src/protocol/index.js';
import {
  formatListing,
  formatListingDate,
  permissionText,
  shownName,
  sortEntries,
} from '../../../src/client/cli/listing.js';

describe('cli/listing: formatListing', function () {
  const when = new Date(Date.UTC(2024, 2, 4, 9, 26, 30));

  it('prints type, mode, aligned size, date and name, sorted, with no mark after a name (as ls -l)', function () {
    const entries: FileEntry[] = [
      { name: 'zeta.txt', type: 'file', size: 5, modified: when, mode: 0o644 },
      { name: 'big.bin', type: 'file', size: 123456, modified: when, mode: 0o600 },
      { name: 'docs', type: 'dir', size: 0, modified: when, mode: 0o755 },
    ];
    expect(formatListing(entries, { utc: true })).to.deep.equal([
      '-rw------- 123456 2024-03-04 09:26 big.bin',
      'drwxr-xr-x      0 2024-03-04 09:26 docs',
      '-rw-r--r--      5 2024-03-04 09:26 zeta.txt',
    ]);
  });

  it('marks directories, links and executables with classify, as ls -F', function () {
    const entries: FileEntry[] = [
      { name: 'run.sh', type: 'file', size: 1, modified: when, mode: 0o755 },
      { name: 'docs', type: 'dir', size: 0, modified: when, mode: 0o755 },
      { name: 'latest', type: 'link', size: 4, modified: when, mode: 0o777, target: 'docs' },
      { name: 'plain', type: 'file', size: 1, modified: when, mode: 0o644 },
    ];
    const names = formatListing(entries, { utc: true, classify: true }).map(
      (line) => / \d\d:\d\d (.*)$/.exec(line)?.[1],
    );
    expect(names).to.deep.equal(['docs/', 'latest@ -> docs', 'plain', 'run.sh*']);
    expect(entries.map((entry) => shownName(entry, { classify: true }))).to.deep.equal([
      'run.sh*',
      'docs/',
      'latest@',
      'plain',
    ]);
  });

  it('sorts every listing one way: by name, so "site" comes before "site-p"', function () {
    const entries: FileEntry[] = ['site-up', 'site', 'site-p', 'Site'].map((name, i) => ({
      name,
      type: i % 2 === 0 ? 'dir' : 'file',
      size: 0,
    }));
    expect(sortEntries(entries).map((entry) => entry.name)).to.deep.equal([
      'Site',
      'site',
      'site-p',
      'site-up',
    ]);
  });

  it('derives what it can from the MLSx perm fact when no mode is known', function () {
    const file: FileEntry = { name: 'f', type: 'file', size: 1, facts: { perm: 'radfwMT' } };
    const readOnly: FileEntry = { name: 'r', type: 'file', size: 1, facts: { perm: 'r' } };
    const dir: FileEntry = { name: 'd', type: 'dir', size: 0, facts: { perm: 'eldfmMTcp' } };
    const listOnly: FileEntry = { name: 'l', type: 'dir', size: 0, facts: { perm: 'el' } };
    expect([file, readOnly, dir, listOnly].map(permissionText)).to.deep.equal([
      'rw???????',
      'r-???????',
      'rwx??????',
      'r-x??????',
    ]);
    // A mode, where the server gives one, wins.
    expect(permissionText({ ...file, mode: 0o640 })).to.equal('rw-r-----');
  });

  it('shows unknown modes and dates, links with targets, and other types', function () {
    const entries: FileEntry[] = [
      { name: 'a', type: 'link', size: 3, target: 'b' },
      { name: 'p', type: 'other', size: 0 },
    ];
    expect(formatListing(entries, { utc: true })).to.deep.equal([
      'l????????? 3 -                a -> b',
      '?????????? 0 -                p',
    ]);
  });

  it('leaves out . and .. and cdir/pdir entries', function () {
    const entries: FileEntry[] = [
      { name: '.', type: 'dir', size: 0 },
      { name: '..', type: 'dir', size: 0 },
      { name: 'here', type: 'dir', size: 0, facts: { type: 'cdir' } },
      { name: 'up', type: 'dir', size: 0, facts: { type: 'pdir' } },
      { name: '.hidden', type: 'file', size: 1 },
    ];
    expect(formatListing(entries, { utc: true })).to.have.lengthOf(1);
  });

  it('replaces control characters so a name cannot forge a line', function () {
    const entries: FileEntry[] = [{ name: 'evil\nname\r\x1b[2J', type: 'file', size: 1 }];
    const [line] = formatListing(entries, { utc: true });
    expect(line).to.match(/ evil\?name\?\?\[2J$/);
  });

  it('prints nothing for an empty directory', function () {
    expect(formatListing([])).to.deep.equal([]);
  });

  it('formats exact dates in UTC or local time', function () {
    expect(formatListingDate({ modified: when }, true)).to.equal('2024-03-04 09:26');
    const local = new Date(2024, 0, 2, 3, 4);
    expect(formatListingDate({ modified: local, modifiedPrecision: 'second' }, false)).to.equal(
      '2024-01-02 03:04',
    );
    expect(formatListingDate({ modified: new Date(Number.NaN) }, true)).to.equal('-'.padEnd(16));
    expect(formatListingDate({}, false)).to.equal('-'.padEnd(16));
  });

  it('shows a LIST date as the server gave it, and only the date when it gave no time of day', function () {
    // "May  9  2026" and "Mar  4 09:26" in a LIST line: the server's clock, whatever its zone.
    const dayOnly = { modified: new Date(Date.UTC(2026, 4, 9)), modifiedPrecision: 'day' } as const;
    const minute = { modified: when, modifiedPrecision: 'minute' } as const;
    expect(formatListingDate(dayOnly, false)).to.equal('2026-05-09'.padEnd(16));
    expect(formatListingDate(minute, false)).to.equal('2024-03-04 09:26');
  });
});
