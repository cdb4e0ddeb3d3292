import { expect } from 'chai';
import { once } from 'node:events';
import { copyFile, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { FtpClient } from '../../src/client/client.js';
import { ClientTimeoutError, ConnectionClosedError, FtpReplyError } from '../../src/client/errors.js';
import type { ConnectOptions, DataMode, ProtocolLine, TransferProgress } from '../../src/client/options.js';
import type { FileEntry } from '../../src/protocol/index.js';
import { ProtocolViolationError } from '../../src/protocol/index.js';
import { makeRandomFile, sha256Buffer, sha256File } from '../helpers/hash.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { rejectionOf } from '../helpers/rejection.js';
import { asReplyError, collectInto, FakeServer, sendAndClose } from './fake-server.js';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Big enough that loopback socket buffers cannot swallow it whole before an abort lands. */
const BIG_BYTES = 24 * 1024 * 1024;

describe('client/client', () => {
  let bigLocal: TempDir;
  let bigPath: string;
  let bigHash: string;

  before(async () => {
    bigLocal = await makeTempDir('client-big');
    bigPath = join(bigLocal.path, 'big.bin');
    bigHash = await makeRandomFile(bigPath, BIG_BYTES);
  });

  after(async () => {
    await bigLocal.remove();
  });

  for (const mode of ['passive', 'active'] as const satisfies readonly DataMode[]) {
    describe(`against ftpkitd, ${mode} mode`, () => {
      let server: TestServer;
      let local: TempDir;
      let protocol: ProtocolLine[];
      const clients: FtpClient[] = [];

      function options(extra: Partial<ConnectOptions> = {}): ConnectOptions {
        return {
          host: server.host,
          port: server.port,
          user: server.user,
          password: server.password,
          mode,
          dataTimeoutMs: 5000,
          replyTimeoutMs: 5000,
          onProtocol: (line) => protocol.push(line),
          ...extra,
        };
      }

      async function connect(extra: Partial<ConnectOptions> = {}): Promise<FtpClient> {
        const client = await FtpClient.connect(options(extra));
        clients.push(client);
        return client;
      }

      const sent = (): string[] => protocol.filter((l) => l.direction === 'sent').map((l) => l.text);
      const transcript = (): string =>
        protocol.map((l) => `${l.direction === 'sent' ? 'C>' : 'S<'} ${l.text}`).join('\n');

      beforeEach(async () => {
        protocol = [];
        server = await startServer();
        local = await makeTempDir('client-local');
      });

      afterEach(async () => {
        for (const client of clients.splice(0)) await client.close();
        await server.close();
        await local.remove();
      });

      it('rejects a wrong password with FtpReplyError 530; a correct login then works', async () => {
        const error = await rejectionOf(FtpClient.connect(options({ password: 'wrong secret' })));
        expect(error).to.be.instanceOf(FtpReplyError);
        expect(asReplyError(error).replyCode).to.equal(530);
        expect(error.message).to.not.contain('wrong secret');
        expect(sent()).to.include('PASS ****');
        expect(sent().join('\n')).to.not.contain('wrong secret');
        const client = await connect();
        expect(client.isLoggedIn).to.equal(true);
        expect(await client.pwd()).to.equal('/');
      });

      it('after a refused login, login() again on the same connection works', async () => {
        const client = new FtpClient(options());
        clients.push(client);
        await client.connect({ host: server.host, port: server.port });
        const error = await rejectionOf(client.login(server.user, 'wrong'));
        expect(asReplyError(error).replyCode).to.equal(530);
        expect(client.isLoggedIn).to.equal(false);
        await client.login(server.user, server.password);
        expect(client.isLoggedIn).to.equal(true);
        expect(client.features.has('UTF8')).to.equal(true);
        expect(sent()).to.include('OPTS UTF8 ON');
        expect(await client.pwd()).to.equal('/');
      });

      // Regression: the error once named "USER tester" whichever command the 530 answered.
      it('names the refused command (PASS ****) in the login error', async () => {
        const error = await rejectionOf(FtpClient.connect(options({ password: 'wrong secret' })));
        expect(asReplyError(error).command).to.equal('PASS ****');
      });

      it('turns every 4xx/5xx into an FtpReplyError with its code, and stays usable', async () => {
        const client = await connect();
        await writeFile(join(server.root, 'file.txt'), 'x');
        await mkdir(join(server.root, 'dir'));
        const sink = (): Writable => collectInto().stream;
        const attempts: [string, () => Promise<unknown>][] = [
          ['cd', () => client.cd('/missing')],
          ['remove', () => client.remove('/missing')],
          ['size', () => client.size('/missing')],
          ['modifiedTime', () => client.modifiedTime('/missing')],
          ['setModifiedTime', () => client.setModifiedTime('/missing', new Date(0))],
          ['rename', () => client.rename('/missing', '/other')],
          ['removeDir', () => client.removeDir('/missing')],
          ['mkdir existing', () => client.mkdir('/dir')],
          ['raw unknown', () => client.raw('XYZZY')],
          ['download missing', () => client.download('/missing', sink())],
          ['list missing', () => client.list('/missing')],
          ['upload into missing dir', () => client.upload(Readable.from(['x']), '/no/such/dir.txt')],
          ['cd into a file', () => client.cd('/file.txt')],
        ];
        for (const [what, attempt] of attempts) {
          const error = await rejectionOf(attempt());
          expect(error, what).to.be.instanceOf(FtpReplyError);
          const replyError = asReplyError(error);
          expect(replyError.replyCode, what).to.be.within(400, 599);
          expect(replyError.reply.code, what).to.equal(replyError.replyCode);
          expect(client.isOpen, what).to.equal(true);
          expect(await client.pwd(), what).to.equal('/');
        }
        // And the data connections still work after all that.
        expect((await client.list('/')).map((e) => e.name).sort()).to.deep.equal(['dir', 'file.txt']);
      });

      it('mkdir with parents creates every level and accepts existing ones', async () => {
        const client = await connect();
        await client.mkdir('a/b/c', { parents: true });
        expect((await stat(join(server.root, 'a/b/c'))).isDirectory()).to.equal(true);
        await client.mkdir('a/b/c', { parents: true });
        await client.mkdir('/a/b/d/e', { parents: true });
        expect((await stat(join(server.root, 'a/b/d/e'))).isDirectory()).to.equal(true);
        await client.cd('a');
        await client.mkdir('b/x', { parents: true });
        expect((await stat(join(server.root, 'a/b/x'))).isDirectory()).to.equal(true);
        // Checking an existing directory must not move the session elsewhere.
        expect(await client.pwd()).to.equal('/a');
        await mkdir(join(server.root, 'q"uote d'));
        await client.cd('/q"uote d');
        await client.mkdir('x/y', { parents: true });
        await client.mkdir('x/y', { parents: true });
        expect(await client.pwd()).to.equal('/q"uote d');
        expect((await stat(join(server.root, 'q"uote d', 'x', 'y'))).isDirectory()).to.equal(true);
      });

      it('mkdir with parents fails over an existing file', async () => {
        const client = await connect();
        await writeFile(join(server.root, 'plain'), 'a file');
        for (const path of ['plain', 'plain/sub', '/plain/sub/deeper']) {
          const error = await rejectionOf(client.mkdir(path, { parents: true }));
          expect(error, path).to.be.instanceOf(FtpReplyError);
        }
        expect(await readFile(join(server.root, 'plain'), 'utf8')).to.equal('a file');
        expect(await client.pwd()).to.equal('/');
      });

      it('removeDir recursive removes a whole tree, odd names included', async () => {
        const client = await connect();
        const top = join(server.root, 'tree');
        await mkdir(join(top, 'sub dir', '-deep'), { recursive: true });
        await writeFile(join(top, 'a.txt'), 'a');
        await writeFile(join(top, 'sub dir', ' spaced '), 'b');
        await writeFile(join(top, 'sub dir', '-deep', 'ünï ✓'), 'c');
        await mkdir(join(top, 'empty'));
        await writeFile(join(server.root, 'keep.txt'), 'keep');
        await client.removeDir('/tree', { recursive: true });
        expect(await exists(top)).to.equal(false);
        expect(await readFile(join(server.root, 'keep.txt'), 'utf8')).to.equal('keep');
      });

      it('removeDir without recursive refuses a non-empty directory', async () => {
        const client = await connect();
        await mkdir(join(server.root, 'full'));
        await writeFile(join(server.root, 'full', 'f'), 'f');
        const error = await rejectionOf(client.removeDir('/full'));
        expect(error).to.be.instanceOf(FtpReplyError);
        expect(await exists(join(server.root, 'full', 'f'))).to.equal(true);
      });

      it('renames a file', async () => {
        const client = await connect();
        await mkdir(join(server.root, 'to'));
        await writeFile(join(server.root, 'from name.txt'), 'moved');
        await client.rename('/from name.txt', '/to/new -name.txt');
        expect(await exists(join(server.root, 'from name.txt'))).to.equal(false);
        expect(await readFile(join(server.root, 'to', 'new -name.txt'), 'utf8')).to.equal('moved');
      });

      it('reads size and modification time, and sets the modification time', async () => {
        const client = await connect();
        const path = join(server.root, 'sized.bin');
        await makeRandomFile(path, 12_345);
        const when = new Date(Date.UTC(2021, 4, 6, 7, 8, 9));
        await utimes(path, when, when);
        expect(await client.size('/sized.bin')).to.equal(12_345);
        expect((await client.modifiedTime('/sized.bin')).getTime()).to.equal(when.getTime());
        const later = new Date(Date.UTC(2023, 10, 12, 13, 14, 15));
        await client.setModifiedTime('/sized.bin', later);
        expect((await stat(path)).mtime.getTime()).to.equal(later.getTime());
        expect((await client.modifiedTime('/sized.bin')).getTime()).to.equal(later.getTime());
      });

      it('runs operations started together one after another, in call order, each whole', async () => {
        const client = await connect();
        const hashes = new Map<string, string>();
        for (const name of ['a.bin', 'b.bin', 'c.bin']) {
          hashes.set(name, await makeRandomFile(join(server.root, name), 300_000 + name.charCodeAt(0)));
        }
        const upHash = await makeRandomFile(join(local.path, 'up.bin'), 400_000);
        const order: string[] = [];
        const track = <T>(name: string, promise: Promise<T>): Promise<T> =>
          promise.then((value) => {
            order.push(name);
            return value;
          });
        // Ten mixed operations at once, no await in between.
        const results = await Promise.allSettled([
          track('get a', client.download('a.bin', join(local.path, 'a.bin'))),
          track('list', client.list()),
          track('get b', client.download('b.bin', join(local.path, 'b.bin'))),
          track('put', client.upload(join(local.path, 'up.bin'), 'up.bin')),
          track('size', client.size('c.bin')),
          track('mkdir', client.mkdir('made/deep', { parents: true })),
          track('get c', client.download('c.bin', join(local.path, 'c.bin'))),
          track('pwd', client.pwd()),
          track('get up', client.download('up.bin', join(local.path, 'up-back.bin'))),
          track('stat', client.stat('made/deep')),
        ]);
        const failures = results.filter((result) => result.status === 'rejected');
        expect(failures, transcript()).to.deep.equal([]);
        expect(order).to.deep.equal([
          'get a',
          'list',
          'get b',
          'put',
          'size',
          'mkdir',
          'get c',
          'pwd',
          'get up',
          'stat',
        ]);
        for (const name of ['a.bin', 'b.bin', 'c.bin']) {
          expect(await sha256File(join(local.path, name)), name).to.equal(hashes.get(name));
        }
        expect(await sha256File(join(server.root, 'up.bin'))).to.equal(upHash);
        expect(await sha256File(join(local.path, 'up-back.bin'))).to.equal(upHash);
        const values = results.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
        expect((values[1] as FileEntry[]).map((entry) => entry.name)).to.include.members([
          'a.bin',
          'b.bin',
          'c.bin',
        ]);
        expect(values[4]).to.equal(300_000 + 'c'.charCodeAt(0));
        expect(values[7]).to.equal('/');
        expect(values[9]).to.include({ name: 'deep', type: 'dir' });
      });

      it('an operation waiting its turn is cancelled by its signal; the others run', async () => {
        const client = await connect();
        await makeRandomFile(join(server.root, 'slow.bin'), 2_000_000);
        const controller = new AbortController();
        const first = client.download('slow.bin', join(local.path, 'slow.bin'));
        const waiting = client.list('/', { signal: controller.signal });
        const after = client.pwd();
        controller.abort(new Error('not needed any more'));
        expect((await rejectionOf(waiting)).message).to.equal('not needed any more');
        await first;
        expect(await after).to.equal('/');
        // The cancelled listing never went out.
        expect(sent().filter((line) => /^(MLSD|LIST)/.test(line))).to.deep.equal([]);
      });

      it('ensureDir makes every missing directory and enters it; a file in the way is an error', async () => {
        const client = await connect();
        await client.ensureDir('made/for/you');
        expect(await client.pwd()).to.equal('/made/for/you');
        await client.ensureDir('/made');
        expect(await client.pwd()).to.equal('/made');
        await writeFile(join(server.root, 'made', 'file'), 'x');
        expect(asReplyError(await rejectionOf(client.ensureDir('/made/file/sub'))).replyCode).to.equal(550);
      });

      it('clearWorkingDir removes everything in the directory, hidden names and trees too, and keeps it', async () => {
        const client = await connect();
        const dir = join(server.root, 'full');
        await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
        for (const name of ['a.txt', '.hidden', '-rf', 'sub/b.txt', 'sub/deeper/c.txt']) {
          await writeFile(join(dir, name), name);
        }
        await client.cd('full');
        await client.clearWorkingDir();
        expect(await readdir(dir)).to.deep.equal([]);
        expect(await client.pwd()).to.equal('/full');
      });

      it('raw with ignoreErrors resolves with a 4xx/5xx reply instead of throwing', async () => {
        const client = await connect();
        const reply = await client.raw('SIZE no-such-file', { ignoreErrors: true });
        expect(reply.code).to.equal(550);
        expect(asReplyError(await rejectionOf(client.raw('SIZE no-such-file'))).replyCode).to.equal(550);
        expect((await client.raw('NOOP', { ignoreErrors: true })).code).to.equal(200);
      });

      it('uploads a byte range of a local file, and appends another', async () => {
        const client = await connect();
        const source = join(local.path, 'ranged.bin');
        await makeRandomFile(source, 2_000_000);
        const bytes = await readFile(source);
        await client.upload(source, 'ranged.bin', { range: { start: 100, end: 1_500_000 } });
        await client.upload(source, 'ranged.bin', { range: { start: 1_500_000 }, append: true });
        await client.upload(source, 'head.bin', { range: { end: 10 } });
        expect((await readFile(join(server.root, 'ranged.bin'))).equals(bytes.subarray(100))).to.equal(true);
        expect((await readFile(join(server.root, 'head.bin'))).equals(bytes.subarray(0, 10))).to.equal(true);
        expect(
          await rejectionOf(client.upload(source, 'x', { range: { start: 5, end: 3 } })),
        ).to.be.instanceOf(RangeError);
        expect(await rejectionOf(client.upload(source, 'x', { range: { end: 2_000_001 } }))).to.be.instanceOf(
          RangeError,
        );
        expect(await readdir(server.root)).to.not.include('x');
      });

      it('stat() describes a file, a directory and a link by MLST, and refuses a missing path', async () => {
        const client = await connect();
        await mkdir(join(server.root, 'sd'));
        await writeFile(join(server.root, 'sd', 'f.txt'), 'hello');
        const when = new Date(Date.UTC(2021, 4, 6, 7, 8, 9));
        await utimes(join(server.root, 'sd', 'f.txt'), when, when);
        expect(await client.stat('sd/f.txt')).to.include({
          name: 'f.txt',
          type: 'file',
          size: 5,
          modifiedPrecision: 'second',
        });
        expect((await client.stat('sd/f.txt')).modified?.getTime()).to.equal(when.getTime());
        expect(await client.stat('/sd')).to.include({ name: 'sd', type: 'dir' });
        expect(sent().filter((line) => line.startsWith('MLST'))).to.have.length(3);
        expect(asReplyError(await rejectionOf(client.stat('sd/missing'))).replyCode).to.equal(550);
      });

      it('lists with MLSD, odd names intact', async () => {
        const client = await connect();
        const names = [
          ' leading space',
          'trailing space ',
          '-dash',
          'ünïcödé ✓.txt',
          'two  spaces',
          'semi;colon=x',
        ];
        for (const [i, name] of names.entries()) await writeFile(join(server.root, name), 'x'.repeat(i));
        await mkdir(join(server.root, 'dir with space'));
        await writeFile(join(server.root, 'dir with space', '-inner'), 'inner');
        const entries = await client.list('/');
        expect(sent()).to.include('MLSD /');
        expect(entries.map((e) => e.name).sort()).to.deep.equal([...names, 'dir with space'].sort());
        for (const [i, name] of names.entries()) {
          const entry = entries.find((e) => e.name === name);
          expect(entry?.type, name).to.equal('file');
          expect(entry?.size, name).to.equal(i);
        }
        expect(entries.find((e) => e.name === 'dir with space')?.type).to.equal('dir');
        const inner = await client.list('/dir with space');
        expect(inner.map((e) => [e.name, e.type, e.size])).to.deep.equal([['-inner', 'file', 5]]);
        await client.cd('/dir with space');
        expect((await client.list()).map((e) => e.name)).to.deep.equal(['-inner']);
      });

      it('refuses a listing larger than maxListingBytes and stays usable', async () => {
        const client = await connect({ maxListingBytes: 300 });
        for (let i = 0; i < 20; i++) await writeFile(join(server.root, `file-number-${i}.txt`), '');
        const error = await rejectionOf(client.list('/'));
        expect(error).to.be.instanceOf(ProtocolViolationError);
        expect(error.message).to.contain('300');
        expect(await client.pwd()).to.equal('/');
        await mkdir(join(server.root, 'small'));
        expect(await client.list('/small')).to.deep.equal([]);
      });

      it('a refused download leaves an existing local file untouched', async () => {
        const client = await connect();
        const target = join(local.path, 'precious.txt');
        await writeFile(target, 'precious contents');
        for (const options of [{}, { resume: true }]) {
          const error = await rejectionOf(client.download('/missing.txt', target, options));
          expect(error).to.be.instanceOf(FtpReplyError);
          expect(asReplyError(error).replyCode).to.equal(550);
          expect(await readFile(target, 'utf8')).to.equal('precious contents');
        }
      });

      it('uploading a missing local file rejects and creates no remote file', async () => {
        const client = await connect();
        const before = sent().length;
        const error = await rejectionOf(client.upload(join(local.path, 'nope.bin'), '/nope.bin'));
        expect((error as NodeJS.ErrnoException).code).to.equal('ENOENT');
        expect(await exists(join(server.root, 'nope.bin'))).to.equal(false);
        expect(sent().slice(before)).to.deep.equal([]);
        expect(await client.pwd()).to.equal('/');
      });

      it('downloads and uploads files byte for byte', async () => {
        const client = await connect();
        const hash = await makeRandomFile(join(server.root, 'r.bin'), 300_000);
        const down = await client.download('/r.bin', join(local.path, 'r.bin'));
        expect(down.bytes).to.equal(300_000);
        expect(await sha256File(join(local.path, 'r.bin'))).to.equal(hash);
        const up = await client.upload(join(local.path, 'r.bin'), '/copy.bin');
        expect(up.bytes).to.equal(300_000);
        expect(await sha256File(join(server.root, 'copy.bin'))).to.equal(hash);
      });

      it('resumes a download onto a partial local file', async () => {
        const client = await connect();
        const hash = await makeRandomFile(join(server.root, 'r.bin'), 300_000);
        const whole = await readFile(join(server.root, 'r.bin'));
        const target = join(local.path, 'r.bin');
        await writeFile(target, whole.subarray(0, 100_000));
        const progress: TransferProgress[] = [];
        const result = await client.download('/r.bin', target, {
          resume: true,
          onProgress: (p) => progress.push(p),
        });
        expect(sent()).to.include('REST 100000');
        expect(result.bytes).to.equal(200_000);
        expect(await sha256File(target)).to.equal(hash);
        const last = progress[progress.length - 1];
        expect(last).to.include({ done: true, bytes: 200_000, offset: 100_000, total: 300_000 });
      });

      it('resumes an upload onto a partial remote file', async () => {
        const client = await connect();
        const source = join(local.path, 'u.bin');
        const hash = await makeRandomFile(source, 300_000);
        const whole = await readFile(source);
        await writeFile(join(server.root, 'u.bin'), whole.subarray(0, 123_457));
        const result = await client.upload(source, '/u.bin', { resume: true });
        expect(sent()).to.include('SIZE /u.bin');
        expect(sent()).to.include('APPE /u.bin');
        expect(result.bytes).to.equal(300_000 - 123_457);
        expect(await sha256File(join(server.root, 'u.bin'))).to.equal(hash);
      });

      it('upload resume with no remote file sends the whole file with STOR', async () => {
        const client = await connect();
        const source = join(local.path, 'u.bin');
        const hash = await makeRandomFile(source, 50_000);
        await client.upload(source, '/u.bin', { resume: true });
        expect(sent()).to.include('STOR /u.bin');
        expect(await sha256File(join(server.root, 'u.bin'))).to.equal(hash);
      });

      it('ASCII mode: LF locally, CRLF on the wire, both ways', async () => {
        const client = await connect();
        const text = 'one\ntwo\n\nthree ✓\n';
        const lines = 4;
        await writeFile(join(server.root, 'text.txt'), text);
        const down = await client.download('/text.txt', join(local.path, 'text.txt'), { type: 'ascii' });
        expect(await readFile(join(local.path, 'text.txt'), 'utf8')).to.equal(text);
        expect(down.message).to.match(/complete/i);
        expect(sent()).to.include('TYPE A');
        const up = await client.upload(join(local.path, 'text.txt'), '/back.txt', { type: 'ascii' });
        // What went over the wire had a CR before every LF.
        expect(up.bytes).to.equal(Buffer.byteLength(text) + lines);
        // ftpkitd stores TYPE A uploads with its own line ends, LF.
        expect(await readFile(join(server.root, 'back.txt'), 'utf8')).to.equal(text);
        // A binary transfer afterwards switches back.
        client.type = 'binary';
        const sink = collectInto();
        await client.download('/text.txt', sink.stream);
        expect(sink.bytes().toString()).to.equal(text);
        expect(sent().filter((l) => l.startsWith('TYPE '))).to.deep.equal(['TYPE A', 'TYPE I']);
      });

      it('reports download progress: growing bytes, total from the 150 reply, done at the end', async () => {
        const client = await connect();
        await copyFile(bigPath, join(server.root, 'big.bin'));
        const progress: TransferProgress[] = [];
        await client.download('/big.bin', join(local.path, 'big.bin'), {
          onProgress: (p) => progress.push(p),
        });
        checkProgress(progress, BIG_BYTES);
        expect(await sha256File(join(local.path, 'big.bin'))).to.equal(bigHash);
      });

      it('reports upload progress with the file size as total', async () => {
        const client = await connect();
        const progress: TransferProgress[] = [];
        await client.upload(bigPath, '/big.bin', { onProgress: (p) => progress.push(p) });
        checkProgress(progress, BIG_BYTES);
        expect(await sha256File(join(server.root, 'big.bin'))).to.equal(bigHash);
      });

      it('aborts a download mid-transfer with an AbortSignal; the next command works', async () => {
        const client = await connect();
        await copyFile(bigPath, join(server.root, 'big.bin'));
        const controller = new AbortController();
        const target = join(local.path, 'big.bin');
        const error = await rejectionOf(
          client.download('/big.bin', target, {
            signal: controller.signal,
            onProgress: () => controller.abort(),
          }),
        );
        expect(error.name).to.equal('AbortError');
        expect(sent()).to.include('ABOR');
        expect((await stat(target)).size).to.be.below(BIG_BYTES);
        expect(await client.pwd()).to.equal('/');
        expect((await client.list('/')).map((e) => e.name)).to.deep.equal(['big.bin']);
        const small = collectInto();
        await writeFile(join(server.root, 'small.txt'), 'small');
        await client.download('/small.txt', small.stream);
        expect(small.bytes().toString()).to.equal('small');
      });

      it('aborts an upload mid-transfer with an AbortSignal; the next command works', async () => {
        const client = await connect();
        const controller = new AbortController();
        const error = await rejectionOf(
          client.upload(bigPath, '/big.bin', {
            signal: controller.signal,
            onProgress: () => controller.abort(),
          }),
        );
        expect(error.name).to.equal('AbortError');
        expect(sent()).to.include('ABOR');
        // The data connection stays open until the server has answered the ABOR, so the server
        // never takes its end for the end of the file and keeps no truncated copy under the name.
        expect(await exists(join(server.root, 'big.bin'))).to.equal(false);
        expect(await client.pwd()).to.equal('/');
        await client.upload(Readable.from([Buffer.from('after')]), '/after.txt');
        expect(await readFile(join(server.root, 'after.txt'), 'utf8')).to.equal('after');
      });

      it('rejects at once, sending nothing, when the signal is already aborted', async () => {
        const client = await connect();
        await writeFile(join(server.root, 'f.txt'), 'f');
        const controller = new AbortController();
        controller.abort();
        const before = sent().length;
        const attempts = [
          client.download('/f.txt', join(local.path, 'f.txt'), { signal: controller.signal }),
          client.upload(Readable.from(['x']), '/x.txt', { signal: controller.signal }),
          client.list('/', { signal: controller.signal }),
        ];
        for (const attempt of attempts) expect((await rejectionOf(attempt)).name).to.equal('AbortError');
        expect(sent().slice(before)).to.deep.equal([]);
        expect(await exists(join(local.path, 'f.txt'))).to.equal(false);
        expect(await exists(join(server.root, 'x.txt'))).to.equal(false);
        expect(await client.pwd()).to.equal('/');
      });

      it('fork() gives a second logged-in connection in the same directory', async () => {
        const client = await connect();
        await mkdir(join(server.root, 'work dir'));
        await writeFile(join(server.root, 'work dir', 'w.txt'), 'w');
        await client.cd('/work dir');
        client.type = 'ascii';
        const other = await client.fork();
        clients.push(other);
        expect(other).to.not.equal(client);
        expect(other.isLoggedIn).to.equal(true);
        expect(other.mode).to.equal(mode);
        expect(other.type).to.equal('ascii');
        expect(await other.pwd()).to.equal('/work dir');
        // Two independent sessions: moving one does not move the other.
        await other.cd('/');
        expect(await client.pwd()).to.equal('/work dir');
        expect((await other.list('/work dir')).map((e) => e.name)).to.deep.equal(['w.txt']);
        expect(sent().filter((l) => l === 'PASS ****')).to.have.length(2);
      });

      it('close() twice is fine, and later calls reject with ConnectionClosedError', async () => {
        const client = await connect();
        await client.close();
        await client.close();
        expect(client.isOpen).to.equal(false);
        expect(client.isLoggedIn).to.equal(false);
        expect(sent()).to.include('QUIT');
        expect(sent().filter((l) => l === 'QUIT')).to.have.length(1);
        expect(await rejectionOf(client.pwd())).to.be.instanceOf(ConnectionClosedError);
        expect(await rejectionOf(client.list('/'))).to.be.instanceOf(ConnectionClosedError);
      });

      it('the server going away mid-session rejects with ConnectionClosedError', async () => {
        const client = await connect();
        expect(await client.pwd()).to.equal('/');
        await server.server.close(0);
        await waitFor(() => !client.isOpen, 5000, 'the client to notice');
        const error = await rejectionOf(client.pwd());
        expect(error).to.be.instanceOf(ConnectionClosedError);
        expect(await rejectionOf(client.list('/'))).to.equal(error);
      });
    });
  }

  describe('against a scripted server', () => {
    let fake: FakeServer | undefined;
    const clients: FtpClient[] = [];

    async function setup(
      handlers: Parameters<typeof FakeServer.start>[0] = {},
      extra: Partial<ConnectOptions> = {},
    ): Promise<{ server: FakeServer; client: FtpClient }> {
      fake = await FakeServer.start(handlers);
      const client = await FtpClient.connect({
        host: fake.host,
        port: fake.port,
        user: 'u',
        password: 'p',
        dataTimeoutMs: 5000,
        replyTimeoutMs: 5000,
        ...extra,
      });
      clients.push(client);
      return { server: fake, client };
    }

    afterEach(async () => {
      for (const client of clients.splice(0)) await client.close();
      await fake?.close();
      fake = undefined;
    });

    for (const mode of ['passive', 'active'] as const) {
      it(`a transfer resolves only after the final reply, not when the data ends (${mode})`, async () => {
        let release: (() => void) | undefined;
        let dataDone = false;
        let finalSent = false;
        const { client } = await setup(
          {
            handlers: {
              RETR: async (session) => {
                session.reply('150 Here it comes (5 bytes).');
                const socket = await session.dataSocket();
                await sendAndClose(socket, 'hello');
                dataDone = true;
                await new Promise<void>((resolve) => (release = resolve));
                finalSent = true;
                session.reply('226 Now it is done.');
              },
            },
          },
          { mode },
        );
        const sink = collectInto();
        let resolvedEarly = false;
        const transfer = client.download('f', sink.stream).then((result) => {
          resolvedEarly = !finalSent;
          return result;
        });
        await waitFor(() => dataDone && release !== undefined, 5000, 'the data to be sent');
        // Give a client that does not wait for the 226 several turns to resolve anyway.
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setTimeout(resolve, 30));
        expect(sink.bytes().toString()).to.equal('hello');
        release?.();
        const result = await transfer;
        expect(resolvedEarly).to.equal(false);
        expect(result.message).to.equal('Now it is done.');
      });

      it(`a 226 that arrives before all data has been read still yields all the data (${mode})`, async () => {
        const payload = Buffer.alloc(4 * 1024 * 1024, 'abcdefgh');
        const received: string[] = [];
        const { client } = await setup(
          {
            handlers: {
              RETR: async (session) => {
                session.reply('150 Here it comes.');
                const socket = await session.dataSocket();
                const closed = once(socket, 'close');
                socket.end(payload);
                // The final reply goes out while most of the data still sits in buffers.
                session.reply('226 Sent it all.');
                await closed;
              },
            },
          },
          { mode, onProtocol: (line) => received.push(line.text) },
        );
        const chunks: Buffer[] = [];
        let first = true;
        const slow = new Writable({
          write(chunk: Buffer, _encoding, callback): void {
            chunks.push(chunk);
            if (!first) {
              callback();
              return;
            }
            first = false;
            // Hold the first chunk until the client has read the 226.
            waitFor(() => received.includes('226 Sent it all.'), 5000, 'the 226').then(
              () => callback(),
              (error: unknown) => callback(error as Error),
            );
          },
        });
        const result = await client.download('f', slow);
        expect(received).to.include('226 Sent it all.');
        expect(Buffer.concat(chunks).equals(payload)).to.equal(true);
        expect(result.bytes).to.equal(payload.length);
      });
    }

    it('ASCII upload puts CRLF on the wire; ASCII download turns CRLF into LF', async () => {
      const { server, client } = await setup();
      await client.upload(Readable.from([Buffer.from('a\nb\r\nc\n\n')]), 'up.txt', { type: 'ascii' });
      expect(server.files.get('up.txt')?.toString()).to.equal('a\r\nb\r\nc\r\n\r\n');
      server.files.set('down.txt', Buffer.from('x\r\ny\r\n\r\nz'));
      const sink = collectInto();
      await client.download('down.txt', sink.stream, { type: 'ascii' });
      expect(sink.bytes().toString()).to.equal('x\ny\n\nz');
      expect(server.lines.filter((l) => l.startsWith('TYPE'))).to.deep.equal(['TYPE A']);
      // And binary sends bytes as they are.
      await client.upload(Readable.from([Buffer.from('a\nb\n')]), 'bin.txt', { type: 'binary' });
      expect(server.files.get('bin.txt')?.toString()).to.equal('a\nb\n');
    });

    it('takes the download total from the 150 reply', async () => {
      const { server, client } = await setup();
      server.files.set('f', Buffer.alloc(777, 1));
      const progress: TransferProgress[] = [];
      await client.download('f', collectInto().stream, { onProgress: (p) => progress.push(p) });
      checkProgress(progress, 777);
    });

    it('asks SIZE first for a progress total when the server offers it, as the 150 may not say', async () => {
      const { server, client } = await setup({
        features: ['SIZE'],
        handlers: {
          RETR: async (session) => {
            session.reply('150 Opening data connection.');
            await sendAndClose(await session.dataSocket(), 'abc');
            session.reply('226 Done.');
          },
        },
      });
      server.files.set('f', Buffer.from('abc'));
      const progress: TransferProgress[] = [];
      await client.download('f', collectInto().stream, { onProgress: (p) => progress.push(p) });
      checkProgress(progress, 3);
      // Only for a progress display: a plain download sends no SIZE.
      await client.download('f', collectInto().stream);
      expect(server.lines.filter((line) => line.startsWith('SIZE'))).to.deep.equal(['SIZE f']);
    });

    it('reports progress at least every 250 ms while a transfer stalls, with the bytes so far', async () => {
      let release: () => void = () => undefined;
      const { client } = await setup({
        handlers: {
          RETR: async (session) => {
            session.reply('150 Opening data connection.');
            const socket = await session.dataSocket();
            socket.write('part');
            await new Promise<void>((resolve) => (release = resolve));
            await sendAndClose(socket, '');
            session.reply('226 Done.');
          },
        },
      });
      const progress: TransferProgress[] = [];
      const done = client.download('f', collectInto().stream, { onProgress: (p) => progress.push(p) });
      // Three reports of the four bytes while no data comes: the display stays live.
      await waitFor(() => progress.filter((p) => p.bytes === 4 && !p.done).length >= 3, 5000, 'heartbeats');
      release();
      await done;
      expect(progress.at(-1)).to.include({ done: true, bytes: 4 });
    });

    it('leaves total unknown when the 150 reply does not say it', async () => {
      const { client } = await setup({
        handlers: {
          RETR: async (session) => {
            session.reply('150 Opening data connection.');
            await sendAndClose(await session.dataSocket(), 'abc');
            session.reply('226 Done.');
          },
        },
      });
      const progress: TransferProgress[] = [];
      await client.download('f', collectInto().stream, { onProgress: (p) => progress.push(p) });
      expect(progress.at(-1)).to.include({ done: true, bytes: 3 });
      expect(progress.every((p) => p.total === undefined)).to.equal(true);
    });

    it('asks with OPTS MLST for the listing facts the server offers but does not send by default', async () => {
      const { server } = await setup({
        features: ['MLST type*;size*;modify*;perm;unique*;unix.mode;unix.uid;'],
      });
      expect(server.lines.filter((line) => line.startsWith('OPTS MLST'))).to.deep.equal([
        'OPTS MLST type;size;modify;perm;unix.mode;unix.uid;',
      ]);
    });

    it('sends no OPTS MLST when the facts it reads are all on already', async () => {
      const { server } = await setup({ features: ['MLST type*;size*;modify*;perm*;unique;media-type;'] });
      expect(server.lines.filter((line) => line.startsWith('OPTS MLST'))).to.deep.equal([]);
    });

    it('stat() without MLST answers a file from SIZE and MDTM, and refuses a missing one', async () => {
      const { server, client } = await setup({
        features: ['SIZE', 'MDTM'],
        handlers: { MDTM: (s) => s.reply('213 20240314092612') },
      });
      server.files.set('dir/f.bin', Buffer.alloc(7));
      expect(await client.stat('dir/f.bin')).to.deep.equal({
        name: 'f.bin',
        type: 'file',
        size: 7,
        modified: new Date('2024-03-14T09:26:12Z'),
        modifiedPrecision: 'second',
      });
      expect(asReplyError(await rejectionOf(client.stat('missing'))).replyCode).to.equal(550);
    });

    it('lists hidden names with "LIST -a" when asked, where the server lists by LIST', async () => {
      const { server, client } = await setup();
      server.listing = '-rw-r--r--   1 o g        1 Jan 01  2020 .hidden\r\n';
      const entries = await client.list('dir', { all: true });
      await client.list(undefined, { all: true });
      expect(entries.map((entry) => entry.name)).to.deep.equal(['.hidden']);
      expect(server.lines.filter((line) => line.startsWith('LIST'))).to.deep.equal([
        'LIST -a dir',
        'LIST -a',
      ]);
    });

    it('falls back to a plain LIST, for good, on a server that takes "-a" for a name', async () => {
      const { server, client } = await setup({
        handlers: {
          LIST: async (session, command) => {
            if (command.arg.startsWith('-a')) {
              session.reply('550 No such file: -a dir.');
              return;
            }
            session.reply('150 Here it comes.');
            await sendAndClose(await session.dataSocket(), '-rw-r--r--   1 o g        1 Jan 01  2020 f\r\n');
            session.reply('226 Done.');
          },
        },
      });
      expect((await client.list('dir', { all: true })).map((entry) => entry.name)).to.deep.equal(['f']);
      await client.list('dir', { all: true });
      expect(server.lines.filter((line) => line.startsWith('LIST'))).to.deep.equal([
        'LIST -a dir',
        'LIST dir',
        'LIST dir',
      ]);
    });

    it("parses listings with a parser of the caller's, told which command produced the text", async () => {
      const seen: string[] = [];
      const { server, client } = await setup(
        {},
        {
          parseListing: (text, verb) => {
            seen.push(verb);
            return text
              .split('\r\n')
              .filter((line) => line !== '')
              .map((line) => ({
                name: line.split('|')[1] ?? '',
                type: 'file' as const,
                size: Number(line.split('|')[0]),
              }));
          },
        },
      );
      server.listing = '12|odd.txt\r\n7|b.txt\r\n';
      const entries = await client.list();
      expect(seen).to.deep.equal(['LIST']);
      expect(entries).to.deep.equal([
        { name: 'odd.txt', type: 'file', size: 12 },
        { name: 'b.txt', type: 'file', size: 7 },
      ]);
    });

    it('speaks Latin-1 on the control connection and in listings when told to, and never asks for UTF-8', async () => {
      const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
      const received: Buffer[] = [];
      const { server, client } = await setup(
        {
          features: ['UTF8'],
          handlers: {
            // "/café" and "naïve" as a Latin-1 server writes them: é and ï are one byte each.
            PWD: (session) => session.write(latin1('257 "/café"\r\n')),
            LIST: async (session) => {
              session.reply('150 Here it comes.');
              await sendAndClose(
                await session.dataSocket(),
                latin1('-rw-r--r--   1 o g        1 Jan 01  2020 naïve\r\n'),
              );
              session.reply('226 Done.');
            },
          },
        },
        { encoding: 'latin1' },
      );
      server.sessions[0]?.socket.on('data', (chunk: Buffer) => received.push(chunk));
      expect(await client.pwd()).to.equal('/café');
      expect((await client.list()).map((entry) => entry.name)).to.deep.equal(['naïve']);
      await client.cd('crème');
      expect(Buffer.concat(received).includes(latin1('CWD crème\r\n'))).to.equal(true);
      expect(server.lines.some((line) => line.startsWith('OPTS UTF8'))).to.equal(false);
    });

    it('falls back to LIST when MLSD is advertised but not implemented', async () => {
      const { server, client } = await setup({
        features: ['MLST type*;size*;modify*;'],
        handlers: {
          MLSD: (session) => session.reply('500 Not really.'),
        },
      });
      server.listing = '-rw-r--r--   1 owner group        42 Jan 01  2020 odd name.txt\r\n';
      const entries = await client.list();
      expect(entries.map((e) => [e.name, e.size])).to.deep.equal([['odd name.txt', 42]]);
      expect(server.lines.filter((l) => l === 'MLSD' || l === 'LIST')).to.deep.equal(['MLSD', 'LIST']);
    });

    it('removeDir recursive never follows listing names that are not plain names', async () => {
      const { server, client } = await setup({
        features: ['MLST type*;size*;'],
        handlers: {
          DELE: (session) => session.reply('250 Deleted.'),
          RMD: (session) => session.reply('250 Removed.'),
        },
      });
      server.listing = [
        'type=cdir; .',
        'type=pdir; ..',
        'type=file;size=1; ok.txt',
        'type=file;size=1; ../escape.txt',
        'type=dir; ../../up',
        'type=file;size=1; a/b',
        '',
      ].join('\r\n');
      await client.removeDir('/d', { recursive: true });
      const changes = server.lines.filter((l) => /^(DELE|RMD|MLSD|LIST)/.test(l));
      expect(changes).to.deep.equal(['MLSD /d', 'DELE /d/ok.txt', 'RMD /d']);
    });

    it('the final reply must come within replyTimeoutMs once the data has ended', async () => {
      const { client } = await setup(
        {
          handlers: {
            RETR: async (session) => {
              session.reply('150 Here it comes.');
              await sendAndClose(await session.dataSocket(), 'data');
              // ...and no 226, ever.
            },
          },
        },
        { replyTimeoutMs: 200 },
      );
      const error = await rejectionOf(client.download('f', collectInto().stream));
      expect(error).to.be.instanceOf(ClientTimeoutError);
      expect(error).to.include({ phase: 'reply' });
      expect(client.isOpen).to.equal(false);
    });

    it('a long transfer is not cut by the reply timeout while data flows', async () => {
      const { client } = await setup(
        {
          handlers: {
            RETR: async (session) => {
              session.reply('150 Here it comes, slowly.');
              const socket = await session.dataSocket();
              for (let i = 0; i < 6; i++) {
                socket.write('tick');
                await new Promise((resolve) => setTimeout(resolve, 50));
              }
              await sendAndClose(socket, '');
              session.reply('226 Done.');
            },
          },
        },
        { replyTimeoutMs: 120, dataTimeoutMs: 1000 },
      );
      const sink = collectInto();
      await client.download('f', sink.stream);
      expect(sink.bytes().toString()).to.equal('tick'.repeat(6));
    });

    it('sets TYPE again after raw() changed it behind the client’s back', async () => {
      const { server, client } = await setup();
      server.files.set('f', Buffer.from('f'));
      await client.download('f', collectInto().stream);
      await client.raw('TYPE A');
      await client.download('f', collectInto().stream);
      expect(server.lines.filter((l) => l.startsWith('TYPE'))).to.deep.equal(['TYPE I', 'TYPE A', 'TYPE I']);
    });

    it('a server dying mid-session rejects the command in flight and all later ones', async () => {
      const { client } = await setup({
        handlers: { NOOP: (session) => void session.socket.destroy() },
      });
      const error = await rejectionOf(client.raw('NOOP'));
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(client.isOpen).to.equal(false);
      expect(await rejectionOf(client.pwd())).to.equal(error);
      expect(await rejectionOf(client.download('f', collectInto().stream))).to.equal(error);
      await client.close();
    });

    it('a server dying mid-transfer rejects the transfer with ConnectionClosedError', async () => {
      const { client } = await setup({
        handlers: {
          RETR: async (session) => {
            session.reply('150 Here it comes.');
            const socket = await session.dataSocket();
            socket.write('partial');
            session.socket.destroy();
            socket.destroy();
          },
        },
      });
      const error = await rejectionOf(client.download('f', collectInto().stream));
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(await rejectionOf(client.pwd())).to.be.instanceOf(ConnectionClosedError);
    });

    it('uploads exactly the bytes of a stream', async () => {
      const { server, client } = await setup();
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const result = await client.upload(Readable.from([bytes, bytes]), 'all.bin');
      expect(result.bytes).to.equal(512);
      expect(sha256Buffer(server.files.get('all.bin') ?? Buffer.alloc(0))).to.equal(
        sha256Buffer(Buffer.concat([bytes, bytes])),
      );
    });
  });
});

/** Progress calls: bytes never shrink, the total is known throughout, one final call with done. */
function checkProgress(progress: readonly TransferProgress[], size: number): void {
  expect(progress.length).to.be.at.least(1);
  for (let i = 1; i < progress.length; i++) {
    expect(progress[i]!.bytes).to.be.at.least(progress[i - 1]!.bytes);
  }
  for (const p of progress) {
    expect(p.total).to.equal(size);
    expect(p.offset).to.equal(0);
    expect(p.rate).to.be.at.least(0);
  }
  expect(progress.slice(0, -1).every((p) => !p.done)).to.equal(true);
  expect(progress.at(-1)).to.include({ done: true, bytes: size });
}
