import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  realpath,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FtpError } from '../../../src/protocol/errors.js';
import { FileRange } from '../../../src/server/fs/file-range.js';
import type { WriteMode } from '../../../src/server/fs/file-system.js';
import { LocalFileSystem } from '../../../src/server/fs/local.js';

describe('server/fs/local LocalFileSystem', () => {
  let base: string;
  let root: string;
  let outside: string;
  let fs: LocalFileSystem;

  beforeEach(async () => {
    base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'ftpkit-fs-')));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'top secret');
    fs = await LocalFileSystem.create(root);
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** Awaits a rejection, checks its reply code (and text), and that it names no real path. */
  /** `outcome` may be a value (read() answers at once) or a promise; only a rejection passes. */
  async function rejection(outcome: unknown, replyCode: number, message?: string): Promise<FtpError> {
    const error = await Promise.resolve(outcome).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error, 'expected a rejection').to.be.instanceOf(FtpError);
    const ftpError = error as FtpError;
    expect(ftpError.replyCode).to.equal(replyCode);
    if (message !== undefined) expect(ftpError.message).to.equal(message);
    expect(ftpError.message).not.to.include(base);
    expect(ftpError.message).not.to.include(os.tmpdir());
    return ftpError;
  }

  async function upload(target: string, mode: WriteMode, data: string | Buffer): Promise<void> {
    const up = await fs.write(target, mode);
    await pipeline(Readable.from([Buffer.from(data)]), up.stream);
    await up.commit();
  }

  async function readAll(ftpPath: string, offset = 0): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const { body } = await fs.read(ftpPath, offset);
    if (Buffer.isBuffer(body)) return body;
    const stream = body instanceof FileRange ? body.toStream(64 * 1024) : body;
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  const inRoot = (...names: string[]): string => path.join(root, ...names);

  describe('construction', () => {
    it('create() realpaths the root', async () => {
      const link = path.join(base, 'root-link');
      await symlink(root, link);
      const viaLink = await LocalFileSystem.create(link);
      expect(viaLink.root).to.equal(root);
    });

    it('refuses a relative root', () => {
      expect(() => new LocalFileSystem('relative/dir')).to.throw(TypeError);
    });
  });

  describe('stat', () => {
    it('describes a file without leaking owners', async () => {
      await writeFile(inRoot('a.txt'), 'hello');
      await chmod(inRoot('a.txt'), 0o640);
      const entry = await fs.stat('/a.txt');
      expect(entry).to.include({
        name: 'a.txt',
        type: 'file',
        size: 5,
        mode: 0o640,
        owner: 'ftp',
        group: 'ftp',
      });
      expect(entry.nlink).to.equal(1);
      expect(entry.modified).to.be.instanceOf(Date);
    });

    it('names the root "/"', async () => {
      const entry = await fs.stat('/');
      expect(entry.name).to.equal('/');
      expect(entry.type).to.equal('dir');
    });

    it('answers 550 for a missing path', async () => {
      await rejection(fs.stat('/nope/deeper'), 550, 'No such file or directory.');
    });

    it('clamps ".." at the root', async () => {
      await writeFile(inRoot('inside.txt'), 'x');
      expect((await fs.stat('/../../inside.txt')).name).to.equal('inside.txt');
      await rejection(fs.stat('/../outside/secret.txt'), 550);
      await rejection(fs.read('/../../outside/secret.txt', 0), 550);
    });

    it('refuses NUL bytes in names', async () => {
      await rejection(fs.stat('/a\0b'), 553);
    });
  });

  describe('confinement through symbolic links', () => {
    beforeEach(async () => {
      await symlink(path.join(outside, 'secret.txt'), inRoot('out-file'));
      await symlink(outside, inRoot('out-dir'));
      await symlink('..', inRoot('up'));
      // A chain that starts inside and ends outside, with relative hops.
      await symlink('chain2', inRoot('chain1'));
      await symlink('../outside/secret.txt', inRoot('chain2'));
      await symlink(path.join(outside, 'not-there.txt'), inRoot('dangling'));
    });

    it('refuses to stat or read through a file link pointing outside', async () => {
      await rejection(fs.stat('/out-file'), 550);
      await rejection(fs.read('/out-file', 0), 550);
    });

    it('refuses a directory link pointing outside, and paths below it', async () => {
      await rejection(fs.list('/out-dir'), 550);
      await rejection(fs.stat('/out-dir/secret.txt'), 550);
      await rejection(fs.read('/out-dir/secret.txt', 0), 550);
      await rejection(fs.list('/up'), 550);
      await rejection(fs.read('/up/outside/secret.txt', 0), 550);
    });

    it('refuses a link chain that ends outside', async () => {
      await rejection(fs.read('/chain1', 0), 550);
      await rejection(fs.write('/chain1', { kind: 'replace' }), 550);
    });

    it('refuses every kind of write through or below an outside link', async () => {
      const modes: WriteMode[] = [{ kind: 'replace' }, { kind: 'append' }, { kind: 'offset', offset: 0 }];
      for (const mode of modes) {
        await rejection(fs.write('/out-file', mode), 550);
        await rejection(fs.write('/out-dir/new.txt', mode), 550);
        await rejection(fs.write('/dangling', mode), 550);
      }
      await rejection(fs.write('/out-dir/new.txt', { kind: 'new' }), 550);
      await rejection(fs.mkdir('/out-dir/sub'), 550);
      await rejection(fs.rename('/chain2', '/out-dir/moved'), 550);
      await rejection(fs.setModified('/out-file', new Date(0)), 550);
      expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).to.equal('top secret');
      expect(await readdir(outside)).to.deep.equal(['secret.txt']);
    });

    it('lists outside and dangling links as bare links without target', async () => {
      await writeFile(inRoot('real.txt'), 'real content');
      await symlink('real.txt', inRoot('alias'));
      const entries = await fs.list('/');
      const byName = new Map(entries.map((entry) => [entry.name, entry]));
      for (const name of ['out-file', 'out-dir', 'up', 'chain1', 'chain2', 'dangling']) {
        const entry = byName.get(name);
        expect(entry, name).to.include({ type: 'link', size: 0 });
        expect(entry?.target, name).to.equal(undefined);
      }
      expect(byName.get('alias')).to.include({ type: 'file', size: 12 });
      expect(JSON.stringify(entries)).not.to.include(base);
    });

    it('follows links that stay inside the root', async () => {
      await mkdir(inRoot('dir'));
      await writeFile(inRoot('dir', 'f.txt'), 'inside');
      await symlink('dir', inRoot('dir-alias'));
      await symlink('dir-alias/f.txt', inRoot('file-chain'));
      expect((await fs.stat('/dir-alias')).type).to.equal('dir');
      expect((await fs.list('/dir-alias')).map((entry) => entry.name)).to.deep.equal(['f.txt']);
      expect((await readAll('/file-chain')).toString()).to.equal('inside');
      await upload('/file-chain', { kind: 'replace' }, 'rewritten');
      expect(await readFile(inRoot('dir', 'f.txt'), 'utf8')).to.equal('rewritten');
      expect(await readlink(inRoot('file-chain'))).to.equal('dir-alias/f.txt');
    });

    it('deletes and renames the link itself', async () => {
      await fs.unlink('/out-file');
      await fs.rename('/out-dir', '/renamed-link');
      expect((await lstat(inRoot('renamed-link'))).isSymbolicLink()).to.equal(true);
      await fs.unlink('/renamed-link');
      expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).to.equal('top secret');
      await rejection(fs.rmdir('/up'), 550, 'Not a directory.');
    });
  });

  describe('read', () => {
    it('reads from an offset, and past the end as empty', async () => {
      await writeFile(inRoot('digits'), '0123456789');
      expect((await readAll('/digits')).toString()).to.equal('0123456789');
      expect((await readAll('/digits', 4)).toString()).to.equal('456789');
      expect((await readAll('/digits', 10)).length).to.equal(0);
      expect((await readAll('/digits', 1000)).length).to.equal(0);
    });

    it('gives a small file whole as a Buffer, and a missing one as a rejection', async () => {
      await writeFile(inRoot('small'), 'whole');
      expect((await fs.read('/small', 0)).body).to.deep.equal(Buffer.from('whole'));
      expect((await fs.read('/small', 2)).body).to.deep.equal(Buffer.from('ole'));
      await rejection(fs.read('/missing', 0), 550);
    });

    it('streams a multi-chunk binary file intact', async () => {
      const data = randomBytes(1024 * 1024 + 123);
      await writeFile(inRoot('big.bin'), data);
      expect((await readAll('/big.bin')).equals(data)).to.equal(true);
    });

    it('refuses directories and bad offsets', async () => {
      await mkdir(inRoot('d'));
      await rejection(fs.read('/d', 0), 550, 'Not a regular file.');
      await rejection(fs.read('/', 0), 550, 'Not a regular file.');
      await writeFile(inRoot('f'), 'x');
      await rejection(fs.read('/f', -1), 501);
      await rejection(fs.read('/f', 1.5), 501);
    });
  });

  describe('write', () => {
    it('opens an upload for a new name and over an existing file, and rejects a missing parent', async () => {
      await writeFile(inRoot('old.txt'), 'old');
      for (const target of ['/fresh.txt', '/old.txt']) {
        const up = await fs.write(target, { kind: 'replace' });
        up.stream.end('now');
        await up.commit();
      }
      expect(await readFile(inRoot('fresh.txt'), 'utf8')).to.equal('now');
      expect(await readFile(inRoot('old.txt'), 'utf8')).to.equal('now');
      await rejection(fs.write('/missing/file.txt', { kind: 'replace' }), 550);
    });

    it('replace creates a new file and replaces an existing one keeping its mode', async () => {
      await upload('/new.txt', { kind: 'replace' }, 'first');
      expect(await readFile(inRoot('new.txt'), 'utf8')).to.equal('first');
      await chmod(inRoot('new.txt'), 0o604);
      await upload('/new.txt', { kind: 'replace' }, 'second, longer');
      expect(await readFile(inRoot('new.txt'), 'utf8')).to.equal('second, longer');
      expect((await stat(inRoot('new.txt'))).mode & 0o7777).to.equal(0o604);
      expect(await readdir(root)).to.deep.equal(['new.txt']);
    });

    it('replace aborted mid-way leaves the old content byte-identical and no temporary file', async () => {
      const old = randomBytes(300_000);
      await writeFile(inRoot('keep.bin'), old);
      const up = await fs.write('/keep.bin', { kind: 'replace' });
      await new Promise<void>((resolve, reject) => {
        up.stream.write(randomBytes(100_000), (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
      // Mid-upload (or if the process died now) the target is untouched and the partial file hidden.
      expect((await readFile(inRoot('keep.bin'))).equals(old)).to.equal(true);
      expect((await readdir(root)).length).to.equal(2);
      expect((await fs.list('/')).map((entry) => entry.name)).to.deep.equal(['keep.bin']);
      await up.abort();
      expect((await readFile(inRoot('keep.bin'))).equals(old)).to.equal(true);
      expect(await readdir(root)).to.deep.equal(['keep.bin']);
    });

    it('replace writes a new name under a hidden name, which takes the name only on commit', async () => {
      const up = await fs.write('/fresh.bin', { kind: 'replace' });
      await new Promise<void>((resolve, reject) => {
        up.stream.write(Buffer.from('partial'), (err) => {
          if (err) reject(err);
          else resolve();
        });
      });
      // Nothing under the name yet: no other session sees a half-written file.
      const names = await readdir(root);
      expect(names).to.have.length(1);
      expect(names[0]).to.match(/^\.ftpkit-upload-/);
      expect((await fs.list('/')).map((entry) => entry.name)).to.deep.equal([]);
      await up.abort();
      expect(await readdir(root)).to.deep.equal([]);
      await upload('/fresh.bin', { kind: 'replace' }, 'whole');
      expect(await readdir(root)).to.deep.equal(['fresh.bin']);
      expect(await readFile(inRoot('fresh.bin'), 'utf8')).to.equal('whole');
    });

    it('replace fed by a failing source keeps the old content after abort', async () => {
      await writeFile(inRoot('keep.txt'), 'original');
      const up = await fs.write('/keep.txt', { kind: 'replace' });
      async function* failing(): AsyncGenerator<Buffer> {
        yield Buffer.from('partial');
        await Promise.resolve();
        throw new Error('connection reset');
      }
      let failed = false;
      try {
        await pipeline(Readable.from(failing()), up.stream);
      } catch {
        failed = true;
        await up.abort();
      }
      expect(failed).to.equal(true);
      expect(await readFile(inRoot('keep.txt'), 'utf8')).to.equal('original');
      expect(await readdir(root)).to.deep.equal(['keep.txt']);
    });

    it('offset writes in place: keeps the head and the tail not overwritten', async () => {
      await writeFile(inRoot('r.txt'), 'AAAAAAAAAA');
      await upload('/r.txt', { kind: 'offset', offset: 3 }, 'bb');
      expect(await readFile(inRoot('r.txt'), 'utf8')).to.equal('AAAbbAAAAA');
      await upload('/r.txt', { kind: 'offset', offset: 8 }, 'cccc');
      expect(await readFile(inRoot('r.txt'), 'utf8')).to.equal('AAAbbAAAcccc');
      await upload('/r.txt', { kind: 'offset', offset: 14 }, 'd');
      expect(await readFile(inRoot('r.txt'))).to.deep.equal(Buffer.from('AAAbbAAAcccc\0\0d'));
    });

    it('offset creates a missing file and refuses bad offsets', async () => {
      await upload('/o.txt', { kind: 'offset', offset: 0 }, 'fresh');
      expect(await readFile(inRoot('o.txt'), 'utf8')).to.equal('fresh');
      await rejection(fs.write('/o.txt', { kind: 'offset', offset: -5 }), 501);
    });

    it('append adds to the end, creating the file if missing', async () => {
      await upload('/log.txt', { kind: 'append' }, 'one,');
      await upload('/log.txt', { kind: 'append' }, 'two');
      expect(await readFile(inRoot('log.txt'), 'utf8')).to.equal('one,two');
    });

    it("'new' refuses an existing name and removes its file on abort", async () => {
      await writeFile(inRoot('taken'), 'mine');
      await rejection(fs.write('/taken', { kind: 'new' }), 553, 'File exists.');
      expect(await readFile(inRoot('taken'), 'utf8')).to.equal('mine');
      await upload('/unique', { kind: 'new' }, 'stou');
      expect(await readFile(inRoot('unique'), 'utf8')).to.equal('stou');
      const up = await fs.write('/gone', { kind: 'new' });
      up.stream.write('partial');
      await up.abort();
      expect(await readdir(root)).to.have.members(['taken', 'unique']);
      // A name someone else takes while the upload runs stays theirs: the commit is refused.
      const late = await fs.write('/raced', { kind: 'new' });
      late.stream.write('late');
      await writeFile(inRoot('raced'), 'first');
      await rejection(late.commit(), 553, 'File exists.');
      expect(await readFile(inRoot('raced'), 'utf8')).to.equal('first');
      expect(await readdir(root)).to.have.members(['taken', 'unique', 'raced']);
    });

    it('refuses directories, the root, missing parents and reserved names', async () => {
      await mkdir(inRoot('d'));
      for (const mode of [{ kind: 'replace' }, { kind: 'append' }, { kind: 'offset', offset: 0 }] as const) {
        await rejection(fs.write('/d', mode), 550, 'Not a regular file.');
        await rejection(fs.write('/', mode), 550);
        await rejection(fs.write('/missing/f.txt', mode), 550, 'No such file or directory.');
      }
      await rejection(fs.write('/d', { kind: 'new' }), 553);
      await rejection(fs.write('/.ftpkit-upload-abc', { kind: 'replace' }), 553);
      await rejection(fs.stat('/.ftpkit-upload-abc'), 550);
    });

    it('commit ends an unfinished stream, runs once, and abort afterwards is a no-op', async () => {
      const up = await fs.write('/c.txt', { kind: 'replace' });
      up.stream.write('written without end');
      await Promise.all([up.commit(), up.commit()]);
      await up.abort();
      expect(await readFile(inRoot('c.txt'), 'utf8')).to.equal('written without end');
    });

    it('commit after abort rejects', async () => {
      const up = await fs.write('/c.txt', { kind: 'replace' });
      await up.abort();
      await rejection(up.commit(), 451);
      expect(await readdir(root)).to.deep.equal([]);
    });

    it('writes through to the disk with fsync enabled', async () => {
      const durable = new LocalFileSystem(root, { fsync: true });
      const up = await durable.write('/durable.txt', { kind: 'replace' });
      await pipeline(Readable.from([Buffer.from('synced')]), up.stream);
      await up.commit();
      expect(await readFile(inRoot('durable.txt'), 'utf8')).to.equal('synced');
    });
  });

  describe('list', () => {
    it('lists names with spaces and unicode, sorted, hiding upload temporaries', async () => {
      const names = ['a b.txt', 'ünïcödé 文件.txt', 'emoji 🎉', '.dotfile', 'trailing space '];
      for (const name of names) await writeFile(inRoot(name), name);
      await mkdir(inRoot('sub dir'));
      await writeFile(inRoot('.ftpkit-upload-0123abcd'), 'in progress');
      const entries = await fs.list('/');
      expect(entries.map((entry) => entry.name)).to.deep.equal([...names, 'sub dir'].sort());
      const file = entries.find((entry) => entry.name === 'ünïcödé 文件.txt');
      expect(file).to.include({ type: 'file', size: Buffer.byteLength('ünïcödé 文件.txt') });
      expect(entries.find((entry) => entry.name === 'sub dir')?.type).to.equal('dir');
      expect((await fs.stat('/emoji 🎉')).name).to.equal('emoji 🎉');
    });

    it('lists a directory of more than 10,000 entries', async function () {
      // Creating the files dominates; some disks need seconds for that.
      this.timeout(60_000);
      await mkdir(inRoot('many'));
      const count = 10_050;
      for (let start = 0; start < count; start += 500) {
        const batch = [];
        for (let index = start; index < Math.min(count, start + 500); index++) {
          batch.push(writeFile(inRoot('many', `f${String(index).padStart(5, '0')}`), ''));
        }
        await Promise.all(batch);
      }
      const entries = await fs.list('/many');
      expect(entries.length).to.equal(count);
      expect(entries[0]?.name).to.equal('f00000');
      expect(entries.at(-1)?.name).to.equal('f10049');
    });

    it('refuses a file and a missing path', async () => {
      await writeFile(inRoot('f'), '');
      await rejection(fs.list('/f'), 550, 'Not a directory.');
      await rejection(fs.list('/nope'), 550, 'No such file or directory.');
    });
  });

  describe('mkdir, rmdir, unlink', () => {
    it('makes and removes directories', async () => {
      await fs.mkdir('/d');
      await fs.mkdir('/d/e f');
      expect((await stat(inRoot('d', 'e f'))).isDirectory()).to.equal(true);
      await rejection(fs.mkdir('/d'), 550, 'File exists.');
      await rejection(fs.mkdir('/'), 550, 'File exists.');
      await rejection(fs.mkdir('/x/y'), 550, 'No such file or directory.');
      await rejection(fs.rmdir('/d'), 550, 'Directory not empty.');
      await fs.rmdir('/d/e f');
      await fs.rmdir('/d');
      expect(await readdir(root)).to.deep.equal([]);
    });

    it('rmdir refuses files, the root and missing paths', async () => {
      await writeFile(inRoot('f'), '');
      await rejection(fs.rmdir('/f'), 550, 'Not a directory.');
      await rejection(fs.rmdir('/'), 550);
      await rejection(fs.rmdir('/nope'), 550, 'No such file or directory.');
    });

    it('unlink removes files and refuses directories, the root and missing paths', async () => {
      await writeFile(inRoot('f'), '');
      await mkdir(inRoot('d'));
      await fs.unlink('/f');
      await rejection(fs.unlink('/d'), 550, 'Is a directory.');
      await rejection(fs.unlink('/'), 550);
      await rejection(fs.unlink('/f'), 550, 'No such file or directory.');
      expect(await readdir(root)).to.deep.equal(['d']);
    });
  });

  describe('rename', () => {
    it('renames files and directories, replacing an existing file', async () => {
      await writeFile(inRoot('a'), 'A');
      await writeFile(inRoot('b'), 'B');
      await mkdir(inRoot('d'));
      await fs.rename('/a', '/b');
      expect(await readFile(inRoot('b'), 'utf8')).to.equal('A');
      await fs.rename('/d', '/d2');
      await fs.rename('/b', '/d2/b moved');
      expect(await readdir(root)).to.deep.equal(['d2']);
      expect(await readFile(inRoot('d2', 'b moved'), 'utf8')).to.equal('A');
    });

    it('handles the root, itself, its own subdirectory and directory clashes', async () => {
      await writeFile(inRoot('f'), 'F');
      await mkdir(inRoot('d'));
      await mkdir(inRoot('e'));
      await fs.rename('/f', '/f');
      expect(await readFile(inRoot('f'), 'utf8')).to.equal('F');
      await rejection(fs.rename('/', '/x'), 550);
      await rejection(fs.rename('/f', '/'), 550);
      await rejection(fs.rename('/d', '/d/inner'), 550, 'Cannot move a directory into itself.');
      await rejection(fs.rename('/f', '/d'), 550, 'File exists.');
      await rejection(fs.rename('/d', '/e'), 550, 'File exists.');
      await rejection(fs.rename('/d', '/f'), 550, 'File exists.');
      await rejection(fs.rename('/missing', '/x'), 550, 'No such file or directory.');
      await rejection(fs.rename('/f', '/.ftpkit-upload-x'), 553);
      expect(await readdir(root)).to.have.members(['f', 'd', 'e']);
    });
  });

  describe('setModified', () => {
    it('sets the modification time and keeps the access time', async () => {
      await writeFile(inRoot('t'), '');
      const atime = new Date('2001-02-03T04:05:06Z');
      await utimes(inRoot('t'), atime, new Date());
      const when = new Date('2020-01-02T03:04:05Z');
      await fs.setModified('/t', when);
      const after = await stat(inRoot('t'));
      expect(after.mtime.getTime()).to.equal(when.getTime());
      expect(after.atime.getTime()).to.equal(atime.getTime());
      expect((await fs.stat('/t')).modified?.getTime()).to.equal(when.getTime());
    });

    it('refuses an invalid date and a missing file', async () => {
      await writeFile(inRoot('t'), '');
      await rejection(fs.setModified('/t', new Date(Number.NaN)), 501);
      await rejection(fs.setModified('/nope', new Date()), 550);
    });
  });

  (process.platform === 'win32' ? describe.skip : describe)('special files', () => {
    it('refuses to read or write a FIFO without blocking', async function () {
      const { execFile } = await import('node:child_process');
      const made = await new Promise<boolean>((resolve) => {
        execFile('mkfifo', [inRoot('pipe')], (err) => {
          resolve(err === null);
        });
      });
      if (!made) this.skip();
      await rejection(fs.read('/pipe', 0), 550, 'Not a regular file.');
      await rejection(fs.write('/pipe', { kind: 'replace' }), 550, 'Not a regular file.');
      await rejection(fs.write('/pipe', { kind: 'append' }), 550);
      expect((await fs.stat('/pipe')).type).to.equal('other');
    });
  });
});
