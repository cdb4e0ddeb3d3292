import { expect } from 'chai';
import type { FileEntry } from '../../../src/protocol/index.js';
import { formatListing, formatListingDate } from '../../../src/client/cli/listing.js';

describe('cli/listing: formatListing', function () {
  const when = new Date(Date.UTC(2024, 2, 4, 9, 26, 30));

  it('prints type, mode, aligned size, date and name, sorted, dirs marked', function () {
    const entries: FileEntry[] = [
      { name: 'zeta.txt', type: 'file', size: 5, modified: when, mode: 0o644 },
      { name: 'big.bin', type: 'file', size: 123456, modified: when, mode: 0o600 },
      { name: 'docs', type: 'dir', size: 0, modified: when, mode: 0o755 },
    ];
    expect(formatListing(entries, { utc: true })).to.deep.equal([
      '-rw------- 123456 2024-03-04 09:26 big.bin',
      'drwxr-xr-x      0 2024-03-04 09:26 docs/',
      '-rw-r--r--      5 2024-03-04 09:26 zeta.txt',
    ]);
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

  it('formats dates in UTC or local time', function () {
    expect(formatListingDate(when, true)).to.equal('2024-03-04 09:26');
    const local = new Date(2024, 0, 2, 3, 4);
    expect(formatListingDate(local, false)).to.equal('2024-01-02 03:04');
    expect(formatListingDate(new Date(Number.NaN), true)).to.equal('-'.padEnd(16));
  });
});
