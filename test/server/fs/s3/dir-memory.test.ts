import { expect } from 'chai';
import { NoDirRanges, SeenDirs } from '../../../../src/server/fs/s3/dir-memory.js';

describe('S3 store: names lately seen to be no directories', function () {
  it('answers for names after the listed one, through its last entry, but not for its subdirectories', function () {
    const ranges = new NoDirRanges(5000, 10);
    ranges.record('p/', 'p/f10', { dirs: ['p/f20/', 'p/f30/'], lastKey: 'p/f25', truncated: true }, 0);
    expect(ranges.isNoDir('p/', 'p/f10/', 1)).to.equal(true);
    expect(ranges.isNoDir('p/', 'p/f11/', 1)).to.equal(true);
    expect(ranges.isNoDir('p/', 'p/f20/', 1)).to.equal(false);
    expect(ranges.isNoDir('p/', 'p/f29/', 1)).to.equal(true);
    expect(ranges.isNoDir('p/', 'p/f30/', 1)).to.equal(false);
    expect(ranges.isNoDir('p/', 'p/f31/', 1)).to.equal(false);
    expect(ranges.isNoDir('p/', 'p/f09/', 1)).to.equal(false);
    expect(ranges.isNoDir('p/', 'p/f1/', 1)).to.equal(false);
    expect(ranges.isNoDir('q/', 'q/f11/', 1)).to.equal(false);
  });

  it('covers everything after the name when the page was the last, for maxAgeMs only', function () {
    const ranges = new NoDirRanges(5000, 10);
    ranges.record('p/', 'p/a', { dirs: [], lastKey: undefined, truncated: false }, 1000);
    expect(ranges.isNoDir('p/', 'p/zzz/', 5999)).to.equal(true);
    expect(ranges.isNoDir('p/', 'p/zzz/', 6000)).to.equal(false);
  });

  it("orders names by their UTF-8 bytes, as the engine does, not by JavaScript's UTF-16 units", function () {
    const ranges = new NoDirRanges(5000, 10);
    // U+FF5E sorts before U+1F600 in UTF-8, after it in UTF-16.
    ranges.record('p/', 'p/a', { dirs: [], lastKey: 'p/\u{ff5e}', truncated: true }, 0);
    expect(ranges.isNoDir('p/', 'p/\u{1f600}/', 1)).to.equal(false);
    expect(ranges.isNoDir('p/', 'p/b/', 1)).to.equal(true);
  });

  it('forgets all on clear(), and when more directories than it keeps were listed', function () {
    const ranges = new NoDirRanges(5000, 2);
    const empty = { dirs: [], lastKey: undefined, truncated: false };
    ranges.record('a/', 'a/x', empty, 0);
    ranges.record('b/', 'b/x', empty, 0);
    ranges.record('c/', 'c/x', empty, 0);
    expect(ranges.isNoDir('a/', 'a/y/', 1)).to.equal(false);
    expect(ranges.isNoDir('c/', 'c/y/', 1)).to.equal(true);
    ranges.clear();
    expect(ranges.isNoDir('c/', 'c/y/', 1)).to.equal(false);
  });
});

describe('S3 store: directories lately seen to exist', function () {
  it('remembers a directory for maxAgeMs, forgets it and those under it, and all past maxEntries', function () {
    const seen = new SeenDirs(5000, 3);
    seen.add('a/', 0);
    seen.add('a/b/', 0);
    seen.add('c/', 0);
    expect(seen.has('a/', 4999)).to.equal(true);
    expect(seen.has('a/', 5000)).to.equal(false);
    seen.forgetUnder('a/');
    expect(seen.has('a/', 1)).to.equal(false);
    expect(seen.has('a/b/', 1)).to.equal(false);
    expect(seen.has('c/', 1)).to.equal(true);
    seen.add('d/', 1);
    seen.add('e/', 1);
    seen.add('f/', 1);
    expect(seen.has('c/', 2)).to.equal(false);
    expect(seen.has('f/', 2)).to.equal(true);
  });
});
