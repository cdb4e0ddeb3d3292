import { expect } from 'chai';
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FtpError } from '../../../src/protocol/errors.js';
import { RootJail } from '../../../src/server/fs/confine.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

describe('server/fs/confine RootJail', () => {
  let dir: TempDir;
  let base: string;
  let root: string;
  let jail: RootJail;

  beforeEach(async () => {
    dir = await makeTempDir('jail');
    base = await realpath(dir.path);
    root = path.join(base, 'root');
    await mkdir(path.join(root, 'a', 'b'), { recursive: true });
    await mkdir(path.join(base, 'outside'));
    await writeFile(path.join(root, 'a', 'b', 'file.txt'), 'x');
    // Links below the root, at the end and in the middle of paths.
    await symlink('a/b', path.join(root, 'to-b'));
    await symlink(path.join(root, 'a'), path.join(root, 'abs-a'));
    await symlink('../outside', path.join(root, 'a', 'out'));
    await symlink('missing', path.join(root, 'dangling'));
    jail = new RootJail(root);
  });

  afterEach(async () => {
    await dir.remove();
  });

  function replyCodeOf(call: () => unknown): number | undefined {
    try {
      call();
    } catch (err) {
      expect(err).to.be.instanceOf(FtpError);
      return (err as FtpError).replyCode;
    }
    return undefined;
  }

  it('answers the root and plain names below it', () => {
    expect(jail.real('/')).to.equal(root);
    expect(jail.real('/a/b/file.txt')).to.equal(path.join(root, 'a', 'b', 'file.txt'));
    expect(jail.real('a/../a/./b')).to.equal(path.join(root, 'a', 'b'));
  });

  it('follows links that stay inside, wherever they are in the path', () => {
    expect(jail.real('/to-b')).to.equal(path.join(root, 'a', 'b'));
    expect(jail.real('/to-b/file.txt')).to.equal(path.join(root, 'a', 'b', 'file.txt'));
    expect(jail.real('/abs-a/b/file.txt')).to.equal(path.join(root, 'a', 'b', 'file.txt'));
  });

  it('refuses links that lead outside or nowhere, and paths below them', () => {
    expect(replyCodeOf(() => jail.real('/a/out'))).to.equal(550);
    expect(replyCodeOf(() => jail.real('/a/out/x'))).to.equal(550);
    expect(replyCodeOf(() => jail.real('/dangling'))).to.equal(550);
  });

  it('refuses missing names and names below a file', () => {
    expect(replyCodeOf(() => jail.real('/nope'))).to.equal(550);
    expect(replyCodeOf(() => jail.real('/nope/deeper'))).to.equal(550);
    expect(replyCodeOf(() => jail.real('/a/b/file.txt/x'))).to.equal(550);
  });

  it('locates an entry by its real parent without following the entry itself', () => {
    expect(jail.entry('/to-b/new.txt', 'create')).to.deep.equal({
      parent: path.join(root, 'a', 'b'),
      name: 'new.txt',
      full: path.join(root, 'a', 'b', 'new.txt'),
    });
    expect(jail.entry('/a/out', 'lookup').full).to.equal(path.join(root, 'a', 'out'));
    expect(replyCodeOf(() => jail.entry('/a/out/new.txt', 'create'))).to.equal(550);
    expect(replyCodeOf(() => jail.entry('/', 'lookup'))).to.equal(550);
  });
});
