// Proves the interop harness end to end: stock clients against real peer servers. When ftpkitd is
// ready, the same drivers are pointed at it instead.
import { expect } from 'chai';
import { createServer } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashTree, makeRandomFile, makeTree, SAMPLE_TREE, sha256File } from '../helpers/hash.js';
import {
  curlAppend,
  curlDownload,
  curlList,
  curlQuote,
  curlUpload,
  lftpMirrorDown,
  lftpMirrorUp,
  runFtplib,
  tnftpGet,
  tnftpPut,
  withBasicFtp,
  type ClientResult,
  type DataMode,
} from '../helpers/peer-clients.js';
import {
  startFtpSrv,
  startPyftpdlib,
  startVsftpd,
  type PeerServer,
  type PyftpdlibServer,
  type VsftpdServer,
} from '../helpers/peer-servers.js';
import { requirePeer } from '../helpers/peers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const MODES: readonly DataMode[] = ['passive', 'active'];

function ok(result: ClientResult): void {
  expect(
    result.code,
    `exit ${String(result.code)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  ).to.equal(0);
}

/** The data-connection verb a client must use for a mode, and the ones it must not. */
function dataVerbs(mode: DataMode, extended: boolean): { used: string; unused: string[] } {
  const all = ['PASV', 'EPSV', 'PORT', 'EPRT'];
  const used = mode === 'passive' ? (extended ? 'EPSV' : 'PASV') : extended ? 'EPRT' : 'PORT';
  return { used, unused: all.filter((verb) => verb !== used) };
}

/**
 * The verbs pyftpdlib (debug log) received during one client session: waiting for the session to
 * close in the log is the barrier, so nothing of it is still in the pipe.
 */
async function verbsOf(server: PyftpdlibServer, session: () => Promise<void>): Promise<string[]> {
  const mark = server.process.mark();
  await session();
  await server.process.waitForLine(/FTP session closed/, { since: mark, timeoutMs: 5_000 });
  return server.process
    .linesSince(mark)
    .map((line) => /\] <- (\S+)/.exec(line)?.[1])
    .filter((verb): verb is string => verb !== undefined);
}

async function ipv6Loopback(): Promise<boolean> {
  const server = createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => {
      resolve(false);
    });
    server.listen(0, '::1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

describe('harness: stock clients against pyftpdlib', function () {
  let tmp: TempDir | undefined;
  let server: PyftpdlibServer | undefined;
  let root = '';
  let local = '';
  let bigHash = '';

  before(async function () {
    requirePeer(this, 'pyftpdlib');
    tmp = await makeTempDir('harness-pyftpdlib');
    root = join(tmp.path, 'root');
    local = join(tmp.path, 'local');
    await makeTree(join(root, 'tree'), SAMPLE_TREE);
    bigHash = await makeRandomFile(join(root, 'big.bin'), 300_000);
    await mkdir(local);
    server = await startPyftpdlib({ root, debug: true });
  });

  after(async function () {
    await server?.stop();
    await tmp?.remove();
  });

  for (const mode of MODES) {
    for (const extended of [true, false]) {
      const { used, unused } = dataVerbs(mode, extended);
      it(`curl ${mode} with ${used} downloads and uploads byte-exact`, async function () {
        requirePeer(this, 'curl');
        const srv = server!;
        const options = { mode, extended };
        const downloaded = join(local, `curl-${mode}-${used}.bin`);
        const verbs = await verbsOf(srv, async () => {
          ok(await curlDownload(srv, 'big.bin', downloaded, options));
        });
        expect(await sha256File(downloaded)).to.equal(bigHash);
        expect(verbs).to.include(used).and.to.include('RETR');
        for (const verb of unused) expect(verbs).not.to.include(verb);

        const upVerbs = await verbsOf(srv, async () => {
          ok(await curlUpload(srv, downloaded, `up/curl/${used}.bin`, { ...options, createDirs: true }));
        });
        expect(await sha256File(join(root, 'up', 'curl', `${used}.bin`))).to.equal(bigHash);
        expect(upVerbs).to.include(used).and.to.include('STOR');
      });
    }
  }

  it('curl resumes, appends, lists and sends raw commands', async function () {
    requirePeer(this, 'curl');
    const srv = server!;
    const options = { mode: 'passive', extended: true } as const;
    const full = await readFile(join(root, 'big.bin'));

    const partial = join(local, 'resume.bin');
    await writeFile(partial, full.subarray(0, 100_000));
    const resumeVerbs = await verbsOf(srv, async () => {
      ok(await curlDownload(srv, 'big.bin', partial, { ...options, resume: true }));
    });
    expect(await sha256File(partial)).to.equal(bigHash);
    expect(resumeVerbs).to.include('REST');

    // The server holds the first part; resuming the upload must send only the rest.
    await writeFile(join(root, 'resume-up.bin'), full.subarray(0, 120_000));
    const upVerbs = await verbsOf(srv, async () => {
      ok(await curlUpload(srv, partial, 'resume-up.bin', { ...options, resume: true }));
    });
    expect(await sha256File(join(root, 'resume-up.bin'))).to.equal(bigHash);
    expect(upVerbs).to.include('APPE').and.not.to.include('STOR');

    const piece = join(local, 'piece.txt');
    await writeFile(piece, 'one\n');
    ok(await curlUpload(srv, piece, 'appended.txt', options));
    await writeFile(piece, 'two\n');
    ok(await curlAppend(srv, piece, 'appended.txt', options));
    expect(await readFile(join(root, 'appended.txt'), 'utf8')).to.equal('one\ntwo\n');

    const names = await curlList(srv, 'tree', { ...options, namesOnly: true });
    ok(names);
    expect(names.stdout.split(/\r?\n/).filter((n) => n !== '')).to.have.members(Object.keys(SAMPLE_TREE));
    const long = await curlList(srv, 'tree/nested', options);
    ok(long);
    expect(long.stdout).to.match(/^-.* random\.bin\r?$/m);

    ok(await curlQuote(srv, ['MKD quoted dir', 'RNFR appended.txt', 'RNTO quoted dir/moved.txt'], options));
    expect(await readFile(join(root, 'quoted dir', 'moved.txt'), 'utf8')).to.equal('one\ntwo\n');
    const failed = await curlQuote(srv, ['DELE no-such-file'], options);
    expect(failed.code).to.not.equal(0);
  });

  for (const mode of MODES) {
    it(`ftplib ${mode}: transfers, listings and file commands`, async function () {
      requirePeer(this, 'python3');
      const srv = server!;
      const dir = `ftplib-${mode}`;
      const copy = join(local, `ftplib-${mode}.bin`);
      let result: Awaited<ReturnType<typeof runFtplib>> | undefined;
      const verbs = await verbsOf(srv, async () => {
        result = await runFtplib(srv, {
          mode,
          ops: [
            { op: 'mkd', path: dir },
            { op: 'cwd', path: dir },
            { op: 'pwd' },
            { op: 'stor', local: join(root, 'big.bin'), remote: 'a b ü.bin' },
            { op: 'size', path: 'a b ü.bin' },
            { op: 'retr', remote: 'a b ü.bin', local: copy },
            { op: 'nlst' },
            { op: 'mlsd' },
            { op: 'dir' },
            { op: 'rename', from: 'a b ü.bin', to: 'renamed.bin' },
            { op: 'quote', line: 'NOOP' },
            { op: 'delete', path: 'renamed.bin' },
            { op: 'cwd', path: '..' },
            { op: 'rmd', path: dir },
            { op: 'delete', path: 'no-such-file' },
          ],
          stopOnError: false,
        });
      });
      const { results } = result!;
      expect(results.map((r) => r.op)).to.have.lengthOf(15);
      expect(results.slice(0, -1).filter((r) => !r.ok)).to.deep.equal([]);
      const value = (i: number): unknown => {
        const r = results[i];
        return r?.ok === true ? r.value : undefined;
      };
      expect(value(2)).to.equal(`/${dir}`);
      expect(value(4)).to.equal(300_000);
      expect(await sha256File(copy)).to.equal(bigHash);
      expect(value(6)).to.deep.equal(['a b ü.bin']);
      const mlsd = value(7) as [string, Record<string, string>][];
      expect(mlsd.map(([name, facts]) => [name, facts.type, facts.size])).to.deep.equal([
        ['a b ü.bin', 'file', '300000'],
      ]);
      expect((value(8) as string[]).join('\n')).to.match(/ a b ü\.bin$/m);
      expect(results[14]).to.deep.include({ ok: false, code: '550' });
      expect(verbs).to.include(mode === 'passive' ? 'PASV' : 'PORT');
      expect(verbs).not.to.include(mode === 'passive' ? 'PORT' : 'PASV');
    });
  }

  for (const mode of MODES) {
    it(`lftp ${mode}: mirror down and mirror -R up keep the tree identical`, async function () {
      requirePeer(this, 'lftp');
      const srv = server!;
      const down = join(local, `lftp-down-${mode}`);
      const verbs = await verbsOf(srv, async () => {
        ok(await lftpMirrorDown(srv, 'tree', down, { mode }));
      });
      expect(await hashTree(down)).to.deep.equal(await hashTree(join(root, 'tree')));
      expect(verbs).to.include(mode === 'passive' ? 'PASV' : 'PORT');
      expect(verbs).not.to.include(mode === 'passive' ? 'PORT' : 'PASV');

      ok(await lftpMirrorUp(srv, down, `lftp-up-${mode}`, { mode }));
      expect(await hashTree(join(root, `lftp-up-${mode}`))).to.deep.equal(await hashTree(down));
    });
  }

  for (const mode of MODES) {
    it(`tnftp ${mode}: get and put`, async function () {
      requirePeer(this, 'tnftp');
      const srv = server!;
      const got = join(local, `tnftp got ${mode}.txt`);
      const verbs = await verbsOf(srv, async () => {
        const result = await tnftpGet(srv, 'tree/héllo wörld ✓.txt', got, { mode });
        ok(result);
        expect(result.stdout).to.match(/^226 /m);
      });
      expect(await readFile(got, 'utf8')).to.equal(SAMPLE_TREE['héllo wörld ✓.txt']);
      expect(verbs).to.include(mode === 'passive' ? 'EPSV' : 'EPRT');
      expect(verbs).not.to.include(mode === 'passive' ? 'EPRT' : 'EPSV');

      const putVerbs = await verbsOf(srv, async () => {
        ok(await tnftpPut(srv, join(root, 'big.bin'), `tnftp-${mode}.bin`, { mode, extended: false }));
      });
      expect(await sha256File(join(root, `tnftp-${mode}.bin`))).to.equal(bigHash);
      expect(putVerbs).to.include(mode === 'passive' ? 'PASV' : 'PORT');
      for (const verb of ['EPSV', 'EPRT']) expect(putVerbs).not.to.include(verb);
    });
  }
});

describe('harness: IPv6 loopback against pyftpdlib', function () {
  let tmp: TempDir | undefined;
  let server: PyftpdlibServer | undefined;
  let root = '';

  before(async function () {
    requirePeer(this, 'pyftpdlib');
    // A machine without IPv6 is not a missing peer, so this skips even under CI.
    if (!(await ipv6Loopback())) this.skip();
    tmp = await makeTempDir('harness-ipv6');
    root = join(tmp.path, 'root');
    await makeTree(root, { 'v6.txt': 'over ::1\n' });
    server = await startPyftpdlib({ root, host: '::1', debug: true });
  });

  after(async function () {
    await server?.stop();
    await tmp?.remove();
  });

  for (const mode of MODES) {
    it(`curl and ftplib ${mode} over ::1 use ${mode === 'passive' ? 'EPSV' : 'EPRT'}`, async function () {
      requirePeer(this, 'curl');
      requirePeer(this, 'python3');
      const srv = server!;
      const verb = mode === 'passive' ? 'EPSV' : 'EPRT';
      const copy = join(tmp!.path, `curl-${mode}.txt`);
      const curlVerbs = await verbsOf(srv, async () => {
        ok(await curlDownload(srv, 'v6.txt', copy, { mode, extended: true }));
      });
      expect(await readFile(copy, 'utf8')).to.equal('over ::1\n');
      expect(curlVerbs).to.include(verb);

      const pyCopy = join(tmp!.path, `py-${mode}.txt`);
      const pyVerbs = await verbsOf(srv, async () => {
        const result = await runFtplib(srv, { mode, ops: [{ op: 'retr', remote: 'v6.txt', local: pyCopy }] });
        expect(result.ok, JSON.stringify(result.results)).to.equal(true);
      });
      expect(await readFile(pyCopy, 'utf8')).to.equal('over ::1\n');
      expect(pyVerbs).to.include(verb);
    });
  }
});

describe('harness: curl against vsftpd', function () {
  let tmp: TempDir | undefined;
  let server: VsftpdServer | undefined;
  let root = '';
  let hash = '';

  before(async function () {
    requirePeer(this, 'vsftpd');
    tmp = await makeTempDir('harness-vsftpd');
    root = join(tmp.path, 'root');
    await makeTree(root, { 'pub.txt': 'public\n' });
    hash = await makeRandomFile(join(root, 'data.bin'), 200_000);
    server = await startVsftpd({ root });
  });

  after(async function () {
    await server?.stop();
    await tmp?.remove();
  });

  for (const mode of MODES) {
    for (const extended of [true, false]) {
      const { used } = dataVerbs(mode, extended);
      it(`curl ${mode} with ${used}: download, upload into the writable dir`, async function () {
        requirePeer(this, 'curl');
        const srv = server!;
        const options = { mode, extended };
        const copy = join(tmp!.path, `vsftpd-${used}.bin`);
        const down = await curlDownload(srv, 'data.bin', copy, options);
        expect(down.code, await srv.log()).to.equal(0);
        expect(await sha256File(copy)).to.equal(hash);

        const up = await curlUpload(srv, copy, `${srv.writableDir}/${used}/copy.bin`, {
          ...options,
          createDirs: true,
        });
        expect(up.code, `${up.stderr}\n${await srv.log()}`).to.equal(0);
        expect(await sha256File(join(root, srv.writableDir, used, 'copy.bin'))).to.equal(hash);
        expect(await srv.log()).to.match(new RegExp(`FTP command: Client "127\\.0\\.0\\.1", "${used}`));
      });
    }
  }

  it('refuses uploads outside the writable dir (the root stays read-only)', async function () {
    requirePeer(this, 'curl');
    const srv = server!;
    const result = await curlUpload(srv, join(root, 'pub.txt'), 'not-here.txt', {
      mode: 'passive',
      extended: true,
    });
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.match(/553|550|denied/i);
  });
});

describe('harness: basic-ftp against ftp-srv', function () {
  let tmp: TempDir | undefined;
  let server: PeerServer | undefined;

  before(async function () {
    tmp = await makeTempDir('harness-ftp-srv');
    await makeTree(join(tmp.path, 'root'), { 'hello.txt': 'hello from ftp-srv\n' });
    server = await startFtpSrv({ root: join(tmp.path, 'root') });
  });

  after(async function () {
    await server?.stop();
    await tmp?.remove();
  });

  it('uploads, lists and downloads byte-exact', async function () {
    const srv = server!;
    const source = join(tmp!.path, 'source.bin');
    const hash = await makeRandomFile(source, 150_000);
    const copy = join(tmp!.path, 'copy.bin');
    const names = await withBasicFtp(srv, async (client) => {
      await client.ensureDir('in');
      await client.uploadFrom(source, 'up.bin');
      await client.cd('/');
      await client.downloadTo(copy, 'in/up.bin');
      return (await client.list('in')).map((info) => [info.name, info.size]);
    });
    expect(names).to.deep.equal([['up.bin', 150_000]]);
    expect(await sha256File(join(srv.root, 'in', 'up.bin'))).to.equal(hash);
    expect(await sha256File(copy)).to.equal(hash);
  });

  it('rejects a wrong password', async function () {
    const srv = server!;
    let error: unknown;
    try {
      await withBasicFtp({ ...srv, password: `${srv.password}x` }, () => Promise.resolve());
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(Error);
    expect(String(error)).to.match(/530|bad user/i);
  });

  it('leaves no signal handlers behind after stop', async function () {
    const before = process.listenerCount('SIGTERM');
    const dir = await makeTempDir('ftp-srv-signals');
    try {
      const extra = await startFtpSrv({ root: dir.path });
      expect(process.listenerCount('SIGTERM')).to.equal(before);
      await extra.stop();
    } finally {
      await dir.remove();
    }
  });
});
