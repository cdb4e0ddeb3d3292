import { expect } from 'chai';
import { baseName, parentPath, resolvePath } from '../../src/protocol/path.js';

describe('protocol/path', () => {
  describe('resolvePath', () => {
    it('resolves relative input against cwd', () => {
      expect(resolvePath('/home/u', 'file.txt')).to.equal('/home/u/file.txt');
      expect(resolvePath('/home/u', 'a/b')).to.equal('/home/u/a/b');
      expect(resolvePath('/', 'x')).to.equal('/x');
    });

    it('ignores cwd for absolute input', () => {
      expect(resolvePath('/home/u', '/etc/passwd')).to.equal('/etc/passwd');
      expect(resolvePath('/home/u', '/')).to.equal('/');
    });

    it('returns the normalised cwd for empty input', () => {
      expect(resolvePath('/home/u', '')).to.equal('/home/u');
      expect(resolvePath('/home//u/./', '')).to.equal('/home/u');
    });

    it('normalises ".", empty and trailing segments', () => {
      expect(resolvePath('/', 'a//b/./c')).to.equal('/a/b/c');
      expect(resolvePath('/x', './a/')).to.equal('/x/a');
      expect(resolvePath('/x', '.')).to.equal('/x');
      expect(resolvePath('/', '//')).to.equal('/');
    });

    it('never climbs above the root', () => {
      expect(resolvePath('/home/u', '../../etc')).to.equal('/etc');
      expect(resolvePath('/home/u', '../../../../../etc/passwd')).to.equal('/etc/passwd');
      expect(resolvePath('/', '/a/../../b')).to.equal('/b');
      expect(resolvePath('/a', '..')).to.equal('/');
      expect(resolvePath('/', '..')).to.equal('/');
      expect(resolvePath('/a/b', '../c/../../..')).to.equal('/');
    });

    it('treats a relative cwd as rooted at "/"', () => {
      expect(resolvePath('a/b', '../c')).to.equal('/a/c');
      expect(resolvePath('', 'x')).to.equal('/x');
    });

    it('treats backslashes and other characters as ordinary', () => {
      expect(resolvePath('/', '..\\..\\etc')).to.equal('/..\\..\\etc');
      expect(resolvePath('/', 'a\\b')).to.equal('/a\\b');
      expect(resolvePath('/', '...')).to.equal('/...');
      expect(resolvePath('/', '~/x')).to.equal('/~/x');
      expect(resolvePath('/d', ' a b ')).to.equal('/d/ a b ');
      expect(resolvePath('/', '日本/ü')).to.equal('/日本/ü');
    });
  });

  describe('baseName', () => {
    it('returns the last segment', () => {
      expect(baseName('/a/b/c.txt')).to.equal('c.txt');
      expect(baseName('c.txt')).to.equal('c.txt');
      expect(baseName('/a/b/')).to.equal('b');
      expect(baseName('a\\b')).to.equal('a\\b');
    });

    it('never returns "." or ".." and gives "" for the root', () => {
      expect(baseName('/')).to.equal('');
      expect(baseName('..')).to.equal('');
      expect(baseName('/a/b/..')).to.equal('a');
      expect(baseName('/a/.')).to.equal('a');
    });
  });

  describe('parentPath', () => {
    it('returns the parent, "/" for top-level paths and the root', () => {
      expect(parentPath('/a/b/c')).to.equal('/a/b');
      expect(parentPath('/a/b/')).to.equal('/a');
      expect(parentPath('/a')).to.equal('/');
      expect(parentPath('/')).to.equal('/');
      expect(parentPath('/a/../b/c')).to.equal('/b');
    });
  });
});
