import { expect } from 'chai';
import { lstat, mkdir, readdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ensureLocalDir,
  isSafeLocalName,
  LocalConflictError,
  localDirState,
  pathInside,
  prepareLocalFile,
  UnsafeLocalPathError,
} from '../../../src/client/mirror/local-path.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('mirror local paths', function () {
  let temp: TempDir;
  let root: string;
  let outside: string;

  beforeEach(async function () {
    temp = await makeTempDir('mirror-paths');
    root = join(await realpath(temp.path), 'root');
    outside = join(await realpath(temp.path), 'outside');
    await mkdir(root);
    await mkdir(outside);
  });

  afterEach(async function () {
    await temp.remove();
  });

  it('accepts plain names only', function () {
    for (const name of ['a.txt', '.hidden', '..a', 'a..', 'with space', 'héllo ✓', '-rf', '~']) {
      expect(isSafeLocalName(name), name).to.equal(true);
    }
    for (const name of ['', '.', '..', '../x', 'a/b', '/abs', 'x/', 'nul\0byte']) {
      expect(isSafeLocalName(name), name).to.equal(false);
    }
  });

  it('joins names under the root and refuses anything else', function () {
    expect(pathInside(root, [])).to.equal(root);
    expect(pathInside(root, ['a', 'b.txt'])).to.equal(join(root, 'a', 'b.txt'));
    for (const segments of [['..'], ['a', '..', '..'], ['a/../../x'], ['/etc'], ['']]) {
      expect(() => pathInside(root, segments), segments.join('|')).to.throw(UnsafeLocalPathError);
    }
  });

  it('tells missing from real directories and refuses links and files on the way', async function () {
    expect(await localDirState(root, ['a', 'b'])).to.equal('missing');
    await mkdir(join(root, 'a', 'b'), { recursive: true });
    expect(await localDirState(root, ['a', 'b'])).to.equal('dir');
    await symlink(outside, join(root, 'link'));
    expect(await rejection(localDirState(root, ['link', 'x']))).to.be.instanceOf(UnsafeLocalPathError);
    // A link that stays inside is refused too: where it points can change before the write.
    await symlink(join(root, 'a'), join(root, 'inner-link'));
    expect(await rejection(localDirState(root, ['inner-link']))).to.be.instanceOf(UnsafeLocalPathError);
    await writeFile(join(root, 'file'), 'x');
    expect(await rejection(localDirState(root, ['file', 'x']))).to.be.instanceOf(LocalConflictError);
  });

  it('makes directories, but never inside a link', async function () {
    expect(await ensureLocalDir(root, ['a', 'b', 'c'])).to.equal(join(root, 'a', 'b', 'c'));
    expect((await lstat(join(root, 'a', 'b', 'c'))).isDirectory()).to.equal(true);
    // Twice is fine.
    await ensureLocalDir(root, ['a', 'b', 'c']);
    await symlink(outside, join(root, 'a', 'out'));
    expect(await rejection(ensureLocalDir(root, ['a', 'out', 'made']))).to.be.instanceOf(
      UnsafeLocalPathError,
    );
    expect(await readdir(outside)).to.deep.equal([]);
  });

  it('prepares a file only where a regular file or nothing is', async function () {
    const fresh = await prepareLocalFile(root, ['d', 'new.txt']);
    expect(fresh).to.deep.equal({
      path: join(root, 'd', 'new.txt'),
      dir: join(root, 'd'),
      existing: undefined,
    });
    await writeFile(join(root, 'd', 'old.txt'), 'old');
    expect((await prepareLocalFile(root, ['d', 'old.txt'])).existing?.size).to.equal(3);
    await writeFile(join(outside, 'target'), 'keep');
    await symlink(join(outside, 'target'), join(root, 'd', 'link.txt'));
    expect(await rejection(prepareLocalFile(root, ['d', 'link.txt']))).to.be.instanceOf(UnsafeLocalPathError);
    await mkdir(join(root, 'd', 'sub'));
    expect(await rejection(prepareLocalFile(root, ['d', 'sub']))).to.be.instanceOf(LocalConflictError);
  });
});
