import { expect } from 'chai';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  hashTree,
  makeRandomFile,
  makeTree,
  SAMPLE_TREE,
  sha256Buffer,
  sha256File,
} from '../helpers/hash.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

describe('harness: hash and tree helpers', function () {
  let dir: TempDir | undefined;

  beforeEach(async function () {
    dir = await makeTempDir('hash');
  });

  afterEach(async function () {
    await dir?.remove();
  });

  it('sha256Buffer matches the FIPS 180-2 "abc" vector', function () {
    expect(sha256Buffer('abc')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('sha256File agrees with sha256Buffer across chunk boundaries', async function () {
    const content = Buffer.alloc(200_000, 7);
    const file = join(dir!.path, 'f');
    await writeFile(file, content);
    expect(await sha256File(file)).to.equal(sha256Buffer(content));
  });

  it('makeRandomFile writes the size asked for and returns its hash', async function () {
    const file = join(dir!.path, 'sub', 'r.bin');
    const hash = await makeRandomFile(file, 150_001);
    expect((await stat(file)).size).to.equal(150_001);
    expect(await sha256File(file)).to.equal(hash);
    expect(await makeRandomFile(join(dir!.path, 'other.bin'), 150_001)).to.not.equal(hash);
    expect(await makeRandomFile(join(dir!.path, 'zero.bin'), 0)).to.equal(sha256Buffer(''));
  });

  it('makeTree builds text, binary, empty, random, unicode, spaced and nested entries', async function () {
    const root = join(dir!.path, 'tree');
    await makeTree(root, SAMPLE_TREE);
    const tree = await hashTree(root);
    expect(Object.keys(tree).sort()).to.deep.equal(
      [
        'all-bytes.bin',
        'empty-dir',
        'empty.dat',
        'héllo wörld ✓.txt',
        'nested',
        'nested/deeper',
        'nested/deeper/leaf.txt',
        'nested/random.bin',
        'readme.txt',
        'with  two spaces.txt',
      ].sort(),
    );
    expect(tree['empty-dir']).to.equal('dir');
    expect(tree['empty.dat']).to.equal(sha256Buffer(''));
    expect(await readFile(join(root, 'readme.txt'), 'utf8')).to.equal(SAMPLE_TREE['readme.txt']);
    expect((await readFile(join(root, 'all-bytes.bin')))[255]).to.equal(255);
    expect((await stat(join(root, 'nested', 'random.bin'))).size).to.equal(70_000);
  });

  it('hashTree tells trees apart by content and by shape', async function () {
    await makeTree(join(dir!.path, 'a'), { x: 'same', d: { y: 'y' } });
    await makeTree(join(dir!.path, 'b'), { x: 'same', d: { y: 'y' } });
    await makeTree(join(dir!.path, 'c'), { x: 'diff', d: { y: 'y' } });
    await makeTree(join(dir!.path, 'd'), { x: 'same', d: { y: 'y', z: {} } });
    const a = await hashTree(join(dir!.path, 'a'));
    expect(await hashTree(join(dir!.path, 'b'))).to.deep.equal(a);
    expect(await hashTree(join(dir!.path, 'c'))).to.not.deep.equal(a);
    expect(await hashTree(join(dir!.path, 'd'))).to.not.deep.equal(a);
  });

  it('makeTree refuses names that are not one path segment', async function () {
    for (const name of ['..', 'a/b', '']) {
      let error: unknown;
      try {
        await makeTree(join(dir!.path, 'bad'), { [name]: 'x' });
      } catch (caught) {
        error = caught;
      }
      expect(error, name).to.be.instanceOf(Error);
    }
  });

  it('a removed temp dir is gone, and removing twice is fine', async function () {
    const temp = await makeTempDir('twice');
    await writeFile(join(temp.path, 'f'), 'x');
    await temp.remove();
    await temp.remove();
    let error: unknown;
    try {
      await stat(temp.path);
    } catch (caught) {
      error = caught;
    }
    expect((error as NodeJS.ErrnoException).code).to.equal('ENOENT');
  });
});
