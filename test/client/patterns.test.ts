import { expect } from 'chai';
import { compileGlob, createPathFilter, filterNames, hasGlob, splitGlob } from '../../src/client/patterns.js';

describe('client patterns', function () {
  describe('hasGlob', function () {
    it('tells wildcards from plain names', function () {
      for (const glob of ['*.txt', 'file?.bin', '[ab].c', '{a,b}.c', 'dir/**', '+(a|b)']) {
        expect(hasGlob(glob), glob).to.equal(true);
      }
      for (const plain of ['readme.txt', 'dir/sub/file', 'with  two spaces.txt', 'héllo wörld ✓.txt', '']) {
        expect(hasGlob(plain), plain).to.equal(false);
      }
    });
  });

  describe('compileGlob', function () {
    it('matches a pattern without "/" against the last component, at any depth', function () {
      const txt = compileGlob('*.txt');
      expect(txt('readme.txt')).to.equal(true);
      expect(txt('nested/deeper/leaf.txt')).to.equal(true);
      expect(txt('nested/random.bin')).to.equal(false);
      expect(txt('notes.txt/inner.bin')).to.equal(false);
    });

    it('matches a pattern with "/" against the whole relative path', function () {
      const nested = compileGlob('nested/*.bin');
      expect(nested('nested/random.bin')).to.equal(true);
      expect(nested('other/nested/random.bin')).to.equal(false);
      expect(nested('nested/deeper/x.bin')).to.equal(false);
      const deep = compileGlob('nested/**/*.txt');
      expect(deep('nested/deeper/leaf.txt')).to.equal(true);
      expect(deep('nested/a.txt')).to.equal(true);
      expect(deep('readme.txt')).to.equal(false);
    });

    it('treats a leading "/" as anchoring at the top', function () {
      const top = compileGlob('/readme.txt');
      expect(top('readme.txt')).to.equal(true);
      expect(top('nested/readme.txt')).to.equal(false);
    });

    it('matches a trailing "/" pattern against directories only', function () {
      const build = compileGlob('build/');
      expect(build('build', true)).to.equal(true);
      expect(build('src/build', true)).to.equal(true);
      expect(build('build', false)).to.equal(false);
      // Without the slash, files and directories alike.
      expect(compileGlob('build')('build', false)).to.equal(true);
    });

    it('lets wildcards match dot files unless told otherwise', function () {
      expect(compileGlob('*')('.hidden')).to.equal(true);
      expect(compileGlob('**/*.rc')('a/.b/.x.rc')).to.equal(true);
      expect(compileGlob('*', { dot: false })('.hidden')).to.equal(false);
    });

    it('matches case-sensitively unless nocase', function () {
      expect(compileGlob('*.TXT')('a.txt')).to.equal(false);
      expect(compileGlob('*.TXT', { nocase: true })('a.txt')).to.equal(true);
    });

    it('matches names with spaces and non-ASCII letters literally', function () {
      expect(compileGlob('with  two*')('with  two spaces.txt')).to.equal(true);
      expect(compileGlob('with two*')('with  two spaces.txt')).to.equal(false);
      expect(compileGlob('héllo*✓.txt')('héllo wörld ✓.txt')).to.equal(true);
    });

    it('keeps "\\" an escape, so a literal "*" can be matched', function () {
      const literal = compileGlob('a\\*b');
      expect(literal('a*b')).to.equal(true);
      expect(literal('axb')).to.equal(false);
    });

    it('refuses an empty pattern', function () {
      expect(() => compileGlob('')).to.throw(TypeError);
      expect(() => compileGlob('/')).to.throw(TypeError);
    });
  });

  describe('filterNames', function () {
    it('keeps the matching names in their order', function () {
      expect(filterNames(['b.txt', 'a.bin', 'a.txt', '.c.txt'], '*.txt')).to.deep.equal([
        'b.txt',
        'a.txt',
        '.c.txt',
      ]);
      expect(filterNames(['x'], '*.none')).to.deep.equal([]);
    });
  });

  describe('splitGlob', function () {
    it('splits the directory to list from the glob for its entries', function () {
      expect(splitGlob('dir/sub/*.txt')).to.deep.equal({ dir: 'dir/sub', glob: '*.txt' });
      expect(splitGlob('*.txt')).to.deep.equal({ dir: '', glob: '*.txt' });
      expect(splitGlob('/*.txt')).to.deep.equal({ dir: '/', glob: '*.txt' });
      expect(splitGlob('/pub/file?.bin')).to.deep.equal({ dir: '/pub', glob: 'file?.bin' });
      expect(splitGlob('plain/name.txt')).to.deep.equal({ dir: 'plain/name.txt', glob: '' });
    });
  });

  describe('createPathFilter', function () {
    it('takes every file and walks every directory without patterns', function () {
      const filter = createPathFilter();
      expect(filter.takesFile('a/b/c.bin')).to.equal(true);
      expect(filter.entersDir('a/b')).to.equal(true);
      expect(filter.keepsEmptyDir('empty-dir')).to.equal(true);
    });

    it('takes a file matching some include and no exclude', function () {
      const filter = createPathFilter({ include: ['*.txt', 'nested/*.bin'], exclude: ['secret*'] });
      expect(filter.takesFile('readme.txt')).to.equal(true);
      expect(filter.takesFile('nested/random.bin')).to.equal(true);
      expect(filter.takesFile('all-bytes.bin')).to.equal(false);
      expect(filter.takesFile('secret.txt')).to.equal(false);
      expect(filter.takesFile('deep/secret-notes.txt')).to.equal(false);
    });

    it('prunes a directory that an exclude matches, but not one that includes miss', function () {
      const filter = createPathFilter({ include: ['*.txt'], exclude: ['deeper', 'cache/'] });
      expect(filter.entersDir('nested/deeper')).to.equal(false);
      expect(filter.entersDir('cache')).to.equal(false);
      expect(filter.entersDir('nested')).to.equal(true);
      // A directory is made for the files taken inside it, or when an include names it.
      expect(filter.keepsEmptyDir('nested')).to.equal(false);
      expect(createPathFilter({ include: ['docs/**'] }).keepsEmptyDir('docs')).to.equal(true);
    });

    it('lets a file named like a directory-only exclude through', function () {
      const filter = createPathFilter({ exclude: ['cache/'] });
      expect(filter.takesFile('cache')).to.equal(true);
      expect(filter.entersDir('cache')).to.equal(false);
    });
  });
});
