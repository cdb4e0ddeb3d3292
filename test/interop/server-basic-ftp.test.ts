// The basic-ftp npm package against ftpkitd (it only does passive mode, EPSV first): transfers from
// paths and streams, resume with startAt (REST), append, MLSD listings, directory helpers, file
// commands and whole-tree transfers, over IPv4 and IPv6.
import { expect } from 'chai';
import { FileType, FTPError } from 'basic-ftp';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  hashTree,
  makeRandomFile,
  makeTree,
  SAMPLE_TREE,
  sha256Buffer,
  sha256File,
} from '../helpers/hash.js';
import { withBasicFtp } from '../helpers/peer-clients.js';
import {
  HOSTS,
  ODD_NAME,
  expectDataVerbs,
  useInteropFixture,
  verbsDuring,
  SECURITY,
  tlsLabel,
} from './helpers.js';

const BIG_BYTES = 8 * 1024 * 1024;
const PARTIAL_BYTES = 3_000_001;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail');
}

for (const tls of [...SECURITY, 'implicit'] as const) {
  for (const host of HOSTS) {
    describe(`interop: basic-ftp against ftpkitd over ${host}${tlsLabel(tls)}`, function () {
      const { srv, local } = useInteropFixture(host, 'interop-basic-ftp', undefined, { tls });
      let bigHash = '';

      before(async function () {
        bigHash = await makeRandomFile(local('big.bin'), BIG_BYTES);
      });

      it('uploads and downloads 8 MiB byte-exact, by path and by stream, with EPSV', async function () {
        const copy = local('copy.bin');
        const viaStream = new PassThrough();
        const chunks: Buffer[] = [];
        viaStream.on('data', (chunk: Buffer) => chunks.push(chunk));
        const verbs = await verbsDuring(srv(), () =>
          withBasicFtp(srv(), async (client) => {
            await client.ensureDir(`up/${ODD_NAME} dir`);
            expect(await client.pwd()).to.equal(`/up/${ODD_NAME} dir`);
            await client.uploadFrom(local('big.bin'), 'big.bin');
            await client.uploadFrom(createReadStream(local('big.bin')), 'streamed.bin');
            await client.downloadTo(copy, 'big.bin');
            await client.downloadTo(viaStream, 'streamed.bin');
          }),
        );
        const remoteDir = join(srv().root, 'up', `${ODD_NAME} dir`);
        expect(await sha256File(join(remoteDir, 'big.bin'))).to.equal(bigHash);
        expect(await sha256File(join(remoteDir, 'streamed.bin'))).to.equal(bigHash);
        expect(await sha256File(copy)).to.equal(bigHash);
        expect(sha256Buffer(Buffer.concat(chunks))).to.equal(bigHash);
        // basic-ftp tries EPSV first and keeps what worked.
        expectDataVerbs(verbs, 'passive', true);
        expect(verbs.filter((v) => v === 'MKD')).to.have.lengthOf(2);
      });

      it('resumes a download with startAt (REST) and appends with appendFrom (APPE)', async function () {
        const remote = 'resume.bin';
        await makeTree(srv().root, { [remote]: await readFile(local('big.bin')) });
        const partial = local('partial.bin');
        const full = await readFile(local('big.bin'));
        await writeFile(partial, full.subarray(0, PARTIAL_BYTES));
        await writeFile(local('part1.txt'), 'first ✓\n');
        await writeFile(local('part2.txt'), 'second\n');
        const mark = srv().mark();
        await withBasicFtp(srv(), async (client) => {
          await client.downloadTo(partial, remote, PARTIAL_BYTES);
          await client.appendFrom(local('part1.txt'), 'log.txt');
          await client.appendFrom(local('part2.txt'), 'log.txt');
        });
        expect(await sha256File(partial)).to.equal(bigHash);
        expect(
          srv()
            .commandsSince(mark)
            .map((c) => c.line),
        ).to.include(`REST ${PARTIAL_BYTES}`);
        const sent = srv()
          .transfersSince(mark)
          .filter((t) => t.direction === 'send');
        expect(sent.map((t) => [t.ok, t.bytes])).to.deep.equal([[true, BIG_BYTES - PARTIAL_BYTES]]);
        expect(await readFile(join(srv().root, 'log.txt'), 'utf8')).to.equal('first ✓\nsecond\n');
      });

      it('lists with MLSD: names, types, sizes and times', async function () {
        await makeTree(join(srv().root, 'listing'), {
          'file.bin': 1234,
          'empty.dat': '',
          [ODD_NAME]: 'x',
          sub: { inner: 'y' },
        });
        const when = new Date('2021-03-04T05:06:07Z');
        await utimes(join(srv().root, 'listing', 'file.bin'), when, when);
        const mark = srv().mark();
        const entries = await withBasicFtp(srv(), (client) => client.list('listing'));
        expect(srv().verbsSince(mark)).to.include('MLSD');
        const byName = new Map(entries.map((e) => [e.name, e]));
        expect([...byName.keys()]).to.have.members(['file.bin', 'empty.dat', ODD_NAME, 'sub']);
        expect(byName.get('file.bin')).to.deep.include({ type: FileType.File, size: 1234 });
        expect(byName.get('empty.dat')).to.deep.include({ type: FileType.File, size: 0 });
        expect(byName.get(ODD_NAME)).to.deep.include({ type: FileType.File, size: 1 });
        expect(byName.get('sub')?.type).to.equal(FileType.Directory);
        expect(byName.get('file.bin')?.modifiedAt?.toISOString()).to.equal(when.toISOString());
      });

      it('size, lastMod, rename, remove and removeDir', async function () {
        await makeTree(join(srv().root, 'ops'), {
          'a.txt': 'hello\n',
          doomed: { 'x.bin': 3000, deeper: { y: 'z' } },
        });
        const mtime = (await stat(join(srv().root, 'ops', 'a.txt'))).mtime;
        const result = await withBasicFtp(srv(), async (client) => {
          const size = await client.size('ops/a.txt');
          const lastMod = await client.lastMod('ops/a.txt');
          await client.rename('ops/a.txt', `ops/${ODD_NAME}`);
          await client.removeDir('ops/doomed');
          const missing = await rejection(client.size('ops/a.txt'));
          await client.remove(`ops/${ODD_NAME}`);
          return { size, lastMod, missing };
        });
        expect(result.size).to.equal(6);
        expect(result.lastMod.getTime()).to.equal(Math.floor(mtime.getTime() / 1000) * 1000);
        expect(result.missing).to.be.instanceOf(FTPError);
        expect((result.missing as FTPError).code).to.equal(550);
        expect(await readdir(join(srv().root, 'ops'))).to.deep.equal([]);
      });

      it('uploads and downloads empty files', async function () {
        await writeFile(local('empty.dat'), '');
        const copy = local('empty-copy.dat');
        await withBasicFtp(srv(), async (client) => {
          await client.uploadFrom(local('empty.dat'), 'empty-up.dat');
          await client.downloadTo(copy, 'empty-up.dat');
          expect(await client.size('empty-up.dat')).to.equal(0);
        });
        expect(await readFile(join(srv().root, 'empty-up.dat'))).to.have.lengthOf(0);
        expect(await readFile(copy)).to.have.lengthOf(0);
      });

      it('uploadFromDir and downloadToDir keep a tree identical', async function () {
        const source = local('tree');
        await makeTree(source, SAMPLE_TREE);
        const back = local('tree-back');
        await withBasicFtp(srv(), async (client) => {
          await client.uploadFromDir(source, 'tree-up');
          await client.cd('/');
          await client.downloadToDir(back, 'tree-up');
        });
        const expected = await hashTree(source);
        expect(await hashTree(join(srv().root, 'tree-up'))).to.deep.equal(expected);
        expect(await hashTree(back)).to.deep.equal(expected);
      });

      it('gets 550 for writes as the read-only account and 530 for a wrong password', async function () {
        await writeFile(join(srv().root, 'ro.txt'), 'read me\n');
        const copy = local('ro.txt');
        const refused = await withBasicFtp(srv().asReader(), async (client) => {
          await client.downloadTo(copy, 'ro.txt');
          return rejection(client.uploadFrom(local('big.bin'), 'nope.bin'));
        });
        expect(await readFile(copy, 'utf8')).to.equal('read me\n');
        expect(refused).to.be.instanceOf(FTPError);
        expect((refused as FTPError).code).to.equal(550);
        expect(await readdir(srv().root)).not.to.include('nope.bin');

        const denied = await rejection(
          withBasicFtp({ ...srv(), password: 'wrong' }, () => Promise.resolve()),
        );
        expect(denied).to.be.instanceOf(FTPError);
        expect((denied as FTPError).code).to.equal(530);
      });
    });
  }
}
