// The S3 store on its own, against the run's Swift: what the FTP suites do not reach.
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileEntry } from '../../../../src/protocol/index.js';
import type { FileSystem, ReadSource, WriteMode } from '../../../../src/server/fs/file-system.js';
import { makeTestStore, requireStore, type TestStore } from '../../../helpers/stores.js';
import { makeTempDir, type TempDir } from '../../../helpers/temp-dir.js';
import { rejectionOf } from '../../../helpers/rejection.js';
import { FtpError } from '../../../../src/protocol/index.js';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3FileSystem } from '../../../../src/server/fs/s3/store.js';
import { s3Client } from '../../../helpers/stores.js';
import { sharedSwift } from '../../../helpers/swift.js';

/** A client for the run's Swift that counts the requests it sends, by command. */
async function countingClient(): Promise<{ client: S3Client; sent: Map<string, number> }> {
  const client = s3Client(await sharedSwift());
  const sent = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? '?';
      sent.set(name, (sent.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return { client, sent };
}

async function bytes(source: ReadSource): Promise<Buffer> {
  if (Buffer.isBuffer(source.body)) return source.body;
  if (!(source.body instanceof Readable)) throw new Error('the S3 store reads through streams');
  const chunks: Buffer[] = [];
  for await (const chunk of source.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function put(
  fs: FileSystem,
  path: string,
  data: Buffer | string,
  mode: WriteMode = { kind: 'replace' },
): Promise<void> {
  const upload = await fs.write(path, mode);
  await pipeline(Readable.from([Buffer.from(data)]), upload.stream);
  await upload.commit();
}

describe('S3 store', function () {
  let temp: TempDir;
  let store: TestStore;
  let fs: FileSystem;

  before(function () {
    requireStore(this, 's3');
  });

  beforeEach(async function () {
    temp = await makeTempDir('s3-store');
    store = await makeTestStore('s3', temp.path, {
      partSize: 5 * 1024 * 1024,
      listPageSize: 7,
      maxRenameObjects: 4,
    });
    const open = store.createFileSystem;
    if (open === undefined) throw new Error('an S3 test store opens file systems');
    fs = await open('home/alice');
  });

  afterEach(async function () {
    store.close();
    await temp.remove();
  });

  it('keeps an account under its home prefix', async function () {
    await put(fs, '/a.txt', 'alice');
    expect(await store.files.names()).to.deep.equal(['home/alice/a.txt']);
  });

  it('lists a directory page by page, whole and in key order, without its marker', async function () {
    await store.files.mkdir('home/alice/big');
    const names: string[] = [];
    for (let i = 0; i < 30; i++) names.push(`f${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n) => store.files.write(`home/alice/big/${n}`, n)));
    for (const d of ['d1', 'd2', 'd3']) await store.files.write(`home/alice/big/${d}/inside`, 'x');
    const seen: FileEntry[] = [];
    const entries = fs.entries?.('/big') ?? [];
    for await (const entry of entries) seen.push(entry);
    expect(seen.map((e) => e.name)).to.deep.equal(['d1', 'd2', 'd3', ...names]);
    expect(seen.filter((e) => e.type === 'dir')).to.have.length(3);
    expect(seen.find((e) => e.name === 'f07')).to.include({ type: 'file', size: 3 });
    expect((await fs.list('/big', (name) => name.endsWith('9'))).map((e) => e.name)).to.deep.equal([
      'f09',
      'f19',
      'f29',
    ]);
  });

  it('appends to an object bigger than a part, and resumes at an offset', async function () {
    const head = Buffer.alloc(6 * 1024 * 1024, 7);
    await put(fs, '/log.bin', head);
    await put(fs, '/log.bin', 'tail', { kind: 'append' });
    const all = await bytes(await fs.read('/log.bin', 0));
    expect(all.length).to.equal(head.length + 4);
    expect(all.subarray(-5).toString('latin1')).to.equal('\x07tail');
    await put(fs, '/log.bin', 'NEW', { kind: 'offset', offset: 2 });
    expect((await bytes(await fs.read('/log.bin', 0))).toString('latin1')).to.equal('\x07\x07NEW');
    const past = await rejectionOf(Promise.resolve(fs.write('/log.bin', { kind: 'offset', offset: 6 })));
    expect(past).to.be.instanceOf(FtpError).with.property('replyCode', 550);
  });

  it('starts an upload without waiting for its checks, and refuses it at commit onto a directory or into a missing one, writing nothing', async function () {
    this.timeout(30_000);
    await store.files.mkdir('home/alice/marked');
    // A directory some other writer made: a key under it, no marker.
    await store.files.write('home/alice/implicit/inner', 'i');
    // A file and a directory of one name, as another writer can leave them: the file stays as it is.
    await store.files.write('home/alice/both', 'the old content');
    await store.files.write('home/alice/both/inner', 'b');
    const before = await store.files.names();
    // More than one 5 MiB part as well: the multipart upload must never begin.
    for (const body of [Buffer.from('new'), Buffer.alloc(6 * 1024 * 1024, 1)]) {
      for (const path of ['/marked', '/implicit', '/both', '/nowhere/f', '/implicit/inner/f']) {
        const upload = await fs.write(path, { kind: 'replace' });
        const sent = pipeline(Readable.from([body]), upload.stream).catch((err: unknown) => err);
        const refused = await rejectionOf(upload.commit());
        expect(refused, path).to.be.instanceOf(FtpError).with.property('replyCode', 550);
        await sent;
      }
    }
    expect(await store.files.names()).to.deep.equal(before);
    expect(await store.files.leftovers()).to.deep.equal([]);
    expect((await store.files.read('home/alice/both')).toString()).to.equal('the old content');
  });

  it("stores a folder's files in order with one listing for their directory checks, and sees at once what this session changes", async function () {
    const { client, sent } = await countingClient();
    try {
      const own = new S3FileSystem(client, { bucket: store.bucket ?? '', prefix: 'home/alice/' });
      await own.mkdir('/up');
      // Another writer's directories, there before the listing: a marker alone, a key under it alone.
      await store.files.mkdir('home/alice/up/f5');
      await store.files.write('home/alice/up/f7/inner', 'x');
      sent.clear();
      for (const n of [1, 2, 3, 4, 6, 8, 9]) await put(own, `/up/f${n}`, `file ${n}`);
      // One for the parent, one for the names: not one per file.
      expect(sent.get('ListObjectsV2Command')).to.equal(2);
      for (const n of [5, 7]) {
        const refused = await rejectionOf(put(own, `/up/f${n}`, 'no'));
        expect(refused).to.be.instanceOf(FtpError).with.property('replyCode', 550);
      }
      // What the listing showed as a directory is asked again, not refused from memory.
      await client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: 'home/alice/up/f5/' }));
      await put(own, '/up/f5', 'file 5');
      // This session's own changes count at once.
      await own.mkdir('/up/g');
      expect((await rejectionOf(put(own, '/up/g', 'no'))).message).to.equal('Not a regular file.');
      await own.rmdir('/up/g');
      await put(own, '/up/g', 'file g');
      expect((await own.list('/up')).map((e) => `${e.name} ${e.type}`)).to.deep.equal([
        'f1 file',
        'f2 file',
        'f3 file',
        'f4 file',
        'f5 file',
        'f6 file',
        'f7 dir',
        'f8 file',
        'f9 file',
        'g file',
      ]);
      expect(await store.files.leftovers()).to.deep.equal([]);
    } finally {
      client.destroy();
    }
  });

  it('reads from an offset at or past the end as nothing', async function () {
    await put(fs, '/s.txt', 'abc');
    const at = await fs.read('/s.txt', 3);
    expect(at.size).to.equal(3);
    expect((await bytes(at)).length).to.equal(0);
    expect((await bytes(await fs.read('/s.txt', 1))).toString()).to.equal('bc');
  });

  it('keeps MFMT times of files and directories', async function () {
    await put(fs, '/t.txt', 'x');
    await fs.mkdir('/dir');
    const when = new Date('2020-01-02T03:04:05Z');
    await fs.setModified('/t.txt', when);
    await fs.setModified('/dir', when);
    expect((await fs.stat('/t.txt')).modified?.toISOString()).to.equal(when.toISOString());
    expect((await fs.stat('/dir')).modified?.toISOString()).to.equal(when.toISOString());
    expect((await bytes(await fs.read('/t.txt', 0))).toString()).to.equal('x');
  });

  it('renames a directory of up to maxRenameObjects objects, and refuses a bigger one untouched', async function () {
    await fs.mkdir('/small');
    await Promise.all(['a', 'b'].map((n) => put(fs, `/small/${n}`, n)));
    await fs.rename('/small', '/moved');
    expect((await fs.list('/moved')).map((e) => e.name)).to.deep.equal(['a', 'b']);
    await fs.mkdir('/big');
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => put(fs, `/big/${n}`, n)));
    const refused = await rejectionOf(fs.rename('/big', '/elsewhere'));
    expect(refused).to.be.instanceOf(FtpError).with.property('replyCode', 550);
    expect(refused.message).to.match(/more than 4 objects/);
    expect(await store.files.names()).to.deep.equal([
      'home/alice/big/',
      'home/alice/big/a',
      'home/alice/big/b',
      'home/alice/big/c',
      'home/alice/big/d',
      'home/alice/big/e',
      'home/alice/moved/',
      'home/alice/moved/a',
      'home/alice/moved/b',
    ]);
  });
});
