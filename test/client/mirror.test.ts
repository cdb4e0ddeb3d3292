import { expect } from 'chai';
import { mkdir, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FtpClient } from '../../src/client/client.js';
import { FtpReplyError } from '../../src/client/errors.js';
import {
  mirror,
  UnsafeLocalPathError,
  type MirrorFileEvent,
  type MirrorOptions,
  type MirrorSummary,
} from '../../src/client/mirror.js';
import type { DataMode } from '../../src/client/options.js';
import { createLogger } from '../../src/server/logger.js';
import { memorySink } from '../helpers/memory-sink.js';
import { hashTree, makeTree, SAMPLE_TREE } from '../helpers/hash.js';
import { startPyftpdlib, startVsftpd, type PeerServer, type VsftpdServer } from '../helpers/peer-servers.js';
import { requirePeer } from '../helpers/peers.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { startHostileServer, type HostileServer } from './mirror/hostile-server.js';

interface Run {
  summary: MirrorSummary;
  events: MirrorFileEvent[];
}

async function run(options: Omit<MirrorOptions, 'onFile'>): Promise<Run> {
  const events: MirrorFileEvent[] = [];
  const summary = await mirror({ ...options, onFile: (event) => events.push(event) });
  return { summary, events };
}

function paths(events: readonly MirrorFileEvent[], action: MirrorFileEvent['action']): string[] {
  return events
    .filter((event) => event.action === action)
    .map((event) => event.path)
    .sort();
}

/** The files of a tree (relative path to size), from the file system itself. */
async function filesOf(root: string): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  for (const [rel, kind] of Object.entries(await hashTree(root))) {
    if (kind !== 'dir') files.set(rel, (await stat(join(root, rel))).size);
  }
  return files;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Every path under root, '/'-separated; partial downloads would show up here. */
async function allNames(root: string): Promise<string[]> {
  const names = await readdir(root, { recursive: true });
  return names.map((name) => name.split('\\').join('/')).sort();
}

let counter = 0;
const freshName = (): string => `case-${++counter}`;

for (const mode of ['passive', 'active'] as const satisfies readonly DataMode[]) {
  describe(`mirror against ftpkitd (${mode})`, function () {
    let server: TestServer;
    let local: TempDir;
    let client: FtpClient;

    before(async function () {
      server = await startServer();
    });

    after(async function () {
      await server.close();
    });

    beforeEach(async function () {
      local = await makeTempDir('mirror-local');
      client = await FtpClient.connect({
        host: server.host,
        port: server.port,
        user: server.user,
        password: server.password,
        mode,
      });
    });

    afterEach(async function () {
      await client.close();
      await local.remove();
    });

    it("copy: 'all' copies every file both ways, unchanged ones too", async function () {
      const name = freshName();
      const remote = join(server.root, name);
      await makeTree(remote, SAMPLE_TREE);
      const files = await filesOf(remote);
      await run({ client, direction: 'down', remoteDir: name, localDir: local.path });
      const again = await run({
        client,
        direction: 'down',
        remoteDir: name,
        localDir: local.path,
        copy: 'all',
      });
      expect(again.summary).to.deep.equal({
        copied: files.size,
        skipped: 0,
        failed: 0,
        bytes: sum(files.values()),
      });
      const up = await run({ client, direction: 'up', remoteDir: name, localDir: local.path, copy: 'all' });
      expect(up.summary).to.include({ copied: files.size, skipped: 0, failed: 0 });
      expect(await hashTree(remote)).to.deep.equal(await hashTree(local.path));
    });

    it('copies a tree down, then skips all of it, then copies only what changed', async function () {
      const name = freshName();
      const remote = join(server.root, name);
      await makeTree(remote, SAMPLE_TREE);
      const files = await filesOf(remote);

      const first = await run({ client, direction: 'down', remoteDir: name, localDir: local.path });
      expect(await hashTree(local.path)).to.deep.equal(await hashTree(remote));
      expect(first.summary).to.deep.equal({
        copied: files.size,
        skipped: 0,
        failed: 0,
        bytes: sum(files.values()),
      });
      expect(paths(first.events, 'copied')).to.deep.equal([...files.keys()].sort());
      for (const event of first.events) expect(event.bytes).to.equal(files.get(event.path));

      const second = await run({ client, direction: 'down', remoteDir: name, localDir: local.path });
      expect(second.summary).to.deep.equal({ copied: 0, skipped: files.size, failed: 0, bytes: 0 });

      // A new size is a change whatever the times say.
      await writeFile(join(remote, 'nested/deeper/leaf.txt'), 'a longer leaf\n');
      const third = await run({ client, direction: 'down', remoteDir: name, localDir: local.path });
      expect(paths(third.events, 'copied')).to.deep.equal(['nested/deeper/leaf.txt']);
      expect(third.summary.skipped).to.equal(files.size - 1);

      // Same size, later time: a change too.
      const readme = join(remote, 'readme.txt');
      const before = (await stat(readme)).size;
      await writeFile(readme, 'x'.repeat(before));
      const later = new Date(Date.now() + 120_000);
      await utimes(readme, later, later);
      const fourth = await run({ client, direction: 'down', remoteDir: name, localDir: local.path });
      expect(paths(fourth.events, 'copied')).to.deep.equal(['readme.txt']);
      expect(await hashTree(local.path)).to.deep.equal(await hashTree(remote));
      // The copy carries the remote time (to the second), which is what lets the next run skip it.
      expect(Math.floor((await stat(join(local.path, 'readme.txt'))).mtimeMs / 1000)).to.equal(
        Math.floor(later.getTime() / 1000),
      );
      expect(await allNames(local.path)).not.to.satisfy((names: string[]) =>
        names.some((n) => n.includes('.part')),
      );
    });

    it('copies a tree up into a new directory, then skips all of it, then copies only what changed', async function () {
      const remoteDir = `${freshName()}/deep/target`;
      const remote = join(server.root, remoteDir);
      await makeTree(local.path, SAMPLE_TREE);
      const files = await filesOf(local.path);

      const first = await run({ client, direction: 'up', remoteDir, localDir: local.path });
      expect(await hashTree(remote)).to.deep.equal(await hashTree(local.path));
      expect(first.summary).to.deep.equal({
        copied: files.size,
        skipped: 0,
        failed: 0,
        bytes: sum(files.values()),
      });

      const second = await run({ client, direction: 'up', remoteDir, localDir: local.path });
      expect(second.summary).to.deep.equal({ copied: 0, skipped: files.size, failed: 0, bytes: 0 });

      await writeFile(join(local.path, 'nested/random.bin'), 'now short\n');
      const third = await run({ client, direction: 'up', remoteDir, localDir: local.path });
      expect(paths(third.events, 'copied')).to.deep.equal(['nested/random.bin']);
      expect(await hashTree(remote)).to.deep.equal(await hashTree(local.path));

      // Same size, later local time.
      const readme = join(local.path, 'readme.txt');
      await writeFile(readme, 'y'.repeat((await stat(readme)).size));
      const later = new Date(Date.now() + 120_000);
      await utimes(readme, later, later);
      const fourth = await run({ client, direction: 'up', remoteDir, localDir: local.path });
      expect(paths(fourth.events, 'copied')).to.deep.equal(['readme.txt']);
      expect(await hashTree(remote)).to.deep.equal(await hashTree(local.path));
      const fifth = await run({ client, direction: 'up', remoteDir, localDir: local.path });
      expect(fifth.summary.copied).to.equal(0);
    });

    it('takes files by include and exclude, an excluded directory pruning its tree', async function () {
      const name = freshName();
      await makeTree(join(server.root, name), SAMPLE_TREE);

      const txt = await run({
        client,
        direction: 'down',
        remoteDir: name,
        localDir: join(local.path, 'txt'),
        include: ['*.txt'],
        exclude: ['deeper'],
      });
      expect(Object.keys(await hashTree(join(local.path, 'txt'))).sort()).to.deep.equal(
        ['héllo wörld ✓.txt', 'readme.txt', 'with  two spaces.txt'].sort(),
      );
      expect(txt.summary).to.include({ copied: 3, failed: 0 });

      const noNested = await run({
        client,
        direction: 'down',
        remoteDir: name,
        localDir: join(local.path, 'no-nested'),
        exclude: ['nested/', '*.bin'],
      });
      expect(Object.keys(await hashTree(join(local.path, 'no-nested'))).sort()).to.deep.equal(
        ['empty-dir', 'empty.dat', 'héllo wörld ✓.txt', 'readme.txt', 'with  two spaces.txt'].sort(),
      );
      expect(noNested.summary.copied).to.equal(4);

      const anchored = await run({
        client,
        direction: 'up',
        remoteDir: `${name}-up`,
        localDir: join(local.path, 'txt'),
        include: ['/readme.txt', 'h*'],
      });
      expect(Object.keys(await hashTree(join(server.root, `${name}-up`))).sort()).to.deep.equal(
        ['héllo wörld ✓.txt', 'readme.txt'].sort(),
      );
      expect(anchored.summary).to.include({ copied: 2, failed: 0 });
    });

    it('never writes through a local link that leads out of the tree', async function () {
      const name = freshName();
      const remote = join(server.root, name);
      await makeTree(remote, SAMPLE_TREE);
      const outside = await makeTempDir('mirror-outside');
      try {
        await makeTree(outside.path, { 'readme.txt': 'precious\n', deeper: { 'leaf.txt': 'mine\n' } });
        const untouched = await hashTree(outside.path);
        await symlink(join(outside.path, 'readme.txt'), join(local.path, 'readme.txt'));
        await symlink(outside.path, join(local.path, 'nested'));

        const result = await run({ client, direction: 'down', remoteDir: name, localDir: local.path });
        expect(await hashTree(outside.path)).to.deep.equal(untouched);
        expect(paths(result.events, 'failed')).to.deep.equal(['nested', 'readme.txt']);
        for (const event of result.events.filter((e) => e.action === 'failed')) {
          expect(event.error).to.be.instanceOf(UnsafeLocalPathError);
        }
        expect(paths(result.events, 'copied')).to.deep.equal(
          ['all-bytes.bin', 'empty.dat', 'héllo wörld ✓.txt', 'with  two spaces.txt'].sort(),
        );
        expect(result.summary.failed).to.equal(2);
      } finally {
        await outside.remove();
      }
    });

    it('uploads regular files and real directories, skipping links', async function () {
      const outside = await makeTempDir('mirror-outside');
      try {
        await makeTree(outside.path, { 'secret.txt': 'not for the server\n', dir: { 'inner.txt': 'no\n' } });
        await makeTree(local.path, { 'plain.txt': 'yes\n', sub: { 'also.txt': 'yes too\n' } });
        await symlink(join(outside.path, 'secret.txt'), join(local.path, 'link.txt'));
        await symlink(join(outside.path, 'dir'), join(local.path, 'linkdir'));
        const remoteDir = freshName();

        const result = await run({ client, direction: 'up', remoteDir, localDir: local.path });
        expect(paths(result.events, 'skipped')).to.deep.equal(['link.txt', 'linkdir']);
        const { 'link.txt': link, linkdir, ...regular } = await hashTree(local.path);
        expect([link, linkdir]).to.deep.equal(['other', 'other']);
        expect(await hashTree(join(server.root, remoteDir))).to.deep.equal(regular);
      } finally {
        await outside.remove();
      }
    });

    it('skips what the server lists as a link', async function () {
      const name = freshName();
      const remote = join(server.root, name);
      const outside = await makeTempDir('mirror-outside');
      try {
        await makeTree(remote, { 'real.txt': 'real\n' });
        await writeFile(join(outside.path, 'target.txt'), 'outside the root\n');
        // ftpkitd shows a link that leaves its root as a link, not as what it points to.
        await symlink(join(outside.path, 'target.txt'), join(remote, 'escape.txt'));
        const result = await run({ client, direction: 'down', remoteDir: name, localDir: local.path });
        expect(paths(result.events, 'skipped')).to.deep.equal(['escape.txt']);
        expect(paths(result.events, 'copied')).to.deep.equal(['real.txt']);
        expect(await allNames(local.path)).to.deep.equal(['real.txt']);
      } finally {
        await outside.remove();
      }
    });

    it('reports a file that fails and goes on with the others', async function () {
      const name = freshName();
      const remote = join(server.root, name);
      await makeTree(remote, { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
      // A directory where the file should go: that one download cannot be placed.
      await mkdir(join(local.path, 'b.txt'));
      const result = await run({
        client,
        direction: 'down',
        remoteDir: name,
        localDir: local.path,
        parallel: 2,
      });
      expect(paths(result.events, 'copied')).to.deep.equal(['a.txt', 'c.txt']);
      expect(paths(result.events, 'failed')).to.deep.equal(['b.txt']);
      expect(result.summary).to.deep.equal({ copied: 2, skipped: 0, failed: 1, bytes: 4 });
    });

    it('rejects when the remote directory (down) or the local one (up) does not exist', async function () {
      let error: unknown;
      try {
        await mirror({ client, direction: 'down', remoteDir: 'no-such-dir', localDir: local.path });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(FtpReplyError);
      error = undefined;
      try {
        await mirror({
          client,
          direction: 'up',
          remoteDir: freshName(),
          localDir: join(local.path, 'missing'),
        });
      } catch (caught) {
        error = caught;
      }
      expect((error as NodeJS.ErrnoException).code).to.equal('ENOENT');
      // The client is still fine.
      expect(await client.pwd()).to.equal('/');
    });

    it('stops on abort: no new files, running ones cancelled, extra connections closed', async function () {
      const name = freshName();
      const remote = join(server.root, name);
      const spec: Record<string, number> = {};
      for (let i = 0; i < 8; i++) spec[`big-${i}.bin`] = 2 * 1024 * 1024;
      await makeTree(remote, spec);
      const controller = new AbortController();
      const reason = new Error('enough');
      const copied: string[] = [];
      let error: unknown;
      try {
        await mirror({
          client,
          direction: 'down',
          remoteDir: name,
          localDir: local.path,
          parallel: 3,
          signal: controller.signal,
          onFile: (event) => {
            if (event.action === 'copied') copied.push(event.path);
            controller.abort(reason);
          },
        });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.equal(reason);
      // Three at most were running when the first finished; the rest never started.
      expect(copied.length).to.be.within(1, 3);
      await waitFor(() => server.server.sessionCount === 1, 5000, 'the forks to close');
      const left = await allNames(local.path);
      expect(left.filter((n) => n.includes('.part'))).to.deep.equal([]);
      for (const file of left) {
        expect((await stat(join(local.path, file))).size, file).to.equal(2 * 1024 * 1024);
      }
      // The client sent ABOR where it had to and can go on.
      expect(await client.pwd()).to.equal('/');

      const already = AbortSignal.abort(reason);
      let early: unknown;
      try {
        await mirror({ client, direction: 'down', remoteDir: name, localDir: local.path, signal: already });
      } catch (caught) {
        early = caught;
      }
      expect(early).to.equal(reason);
    });
  });
}

describe('mirror over parallel connections', function () {
  let server: TestServer;
  let lines: () => Record<string, unknown>[];
  let local: TempDir;
  let client: FtpClient;

  before(async function () {
    const sink = memorySink();
    lines = sink.lines;
    server = await startServer({ logger: createLogger('info', sink.stream) });
  });

  after(async function () {
    await server.close();
  });

  beforeEach(async function () {
    local = await makeTempDir('mirror-parallel');
    client = await FtpClient.connect({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
    });
  });

  afterEach(async function () {
    await client.close();
    await local.remove();
  });

  const logins = (): number => lines().filter((line) => line.msg === 'login').length;

  async function mirrorCountingLogins(
    files: number,
    parallel: number,
  ): Promise<{ extra: number; summary: MirrorSummary }> {
    const name = freshName();
    const spec: Record<string, string> = {};
    for (let i = 0; i < files; i++) spec[`f${i}.txt`] = `file ${i}\n`.repeat(i + 1);
    await makeTree(join(server.root, name), spec);
    const before = logins();
    const summary = await mirror({
      client,
      direction: 'down',
      remoteDir: name,
      localDir: local.path,
      parallel,
    });
    expect(await hashTree(local.path)).to.deep.equal(await hashTree(join(server.root, name)));
    await waitFor(() => server.server.sessionCount === 1, 5000, 'the extra sessions to close');
    return { extra: logins() - before, summary };
  }

  it('opens parallel-1 extra sessions when there are enough files, and closes them', async function () {
    const { extra, summary } = await mirrorCountingLogins(12, 4);
    expect(extra).to.equal(3);
    expect(summary.copied).to.equal(12);
  });

  it('opens no more sessions than there are files to copy', async function () {
    expect((await mirrorCountingLogins(2, 4)).extra).to.equal(1);
  });

  it('opens none with parallel 1, or when nothing needs copying', async function () {
    expect((await mirrorCountingLogins(5, 1)).extra).to.equal(0);
    const name = freshName();
    await makeTree(join(server.root, name), { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    await mirror({ client, direction: 'down', remoteDir: name, localDir: join(local.path, 'again') });
    const before = logins();
    const summary = await mirror({
      client,
      direction: 'down',
      remoteDir: name,
      localDir: join(local.path, 'again'),
    });
    expect(summary.skipped).to.equal(3);
    expect(logins() - before).to.equal(0);
  });

  it('refuses a parallel count outside 1 to 16', async function () {
    for (const parallel of [0, 17, 2.5, Number.NaN]) {
      let error: unknown;
      try {
        await mirror({ client, direction: 'down', remoteDir: '/', localDir: local.path, parallel });
      } catch (caught) {
        error = caught;
      }
      expect(error, String(parallel)).to.be.instanceOf(RangeError);
    }
  });

  it('makes do with fewer connections when the server refuses more', async function () {
    const small = await startServer({ options: { maxConnections: 2 } });
    const limited = await FtpClient.connect({
      host: small.host,
      port: small.port,
      user: small.user,
      password: small.password,
    });
    try {
      await makeTree(join(small.root, 'tree'), SAMPLE_TREE);
      const result = await run({
        client: limited,
        direction: 'down',
        remoteDir: 'tree',
        localDir: local.path,
        parallel: 5,
      });
      expect(await hashTree(local.path)).to.deep.equal(await hashTree(join(small.root, 'tree')));
      expect(result.summary.failed).to.equal(0);
    } finally {
      await limited.close();
      await small.close();
    }
  });
});

describe('mirror against a hostile server', function () {
  let local: TempDir;
  let server: HostileServer | undefined;

  beforeEach(async function () {
    local = await makeTempDir('mirror-hostile');
  });

  afterEach(async function () {
    await server?.close();
    server = undefined;
    await local.remove();
  });

  function mlsdLine(type: 'file' | 'dir', name: string, size = 5): string {
    return type === 'dir'
      ? `type=dir;modify=20240101000000; ${name}\r\n`
      : `type=file;size=${size};modify=20240101000000; ${name}\r\n`;
  }

  function listLine(type: 'file' | 'dir', name: string, size = 5): string {
    return `${type === 'dir' ? 'd' : '-'}rw-r--r--    1 ftp      ftp      ${String(size).padStart(8)} Jan 01  2024 ${name}\r\n`;
  }

  for (const mlsd of [true, false]) {
    it(`keeps every listed name inside the local directory (${mlsd ? 'MLSD' : 'LIST'})`, async function () {
      const line = mlsd ? mlsdLine : listLine;
      // Absolute, but inside the temp directory: should the guard ever break, the test sees the
      // file there instead of it landing at the top of the file system.
      const absolute = join(local.path, 'abs-evil');
      const listings: Record<string, string> = {
        remote:
          line('file', '../evil') +
          line('file', 'a/b') +
          line('dir', '..') +
          line('dir', '.') +
          line('file', absolute) +
          line('dir', '../outdir') +
          line('file', 'ok.txt') +
          line('dir', 'sub'),
        'remote/sub': line('file', '../../escape') + line('file', 'fine.txt', 4),
        // Were a bad name ever joined, these listings would be reached.
        'remote/../outdir': line('file', 'deep-evil'),
        outdir: line('file', 'deep-evil'),
      };
      const hostile = await startHostileServer({
        listings,
        mlsd,
        content: (path) => Buffer.from(path.endsWith('fine.txt') ? 'fine' : 'EVIL!'),
      });
      server = hostile;
      const client = await FtpClient.connect({
        host: hostile.host,
        port: hostile.port,
        user: 'x',
        password: 'y',
      });
      try {
        const target = join(local.path, 'inside', 'target');
        const result = await run({
          client,
          direction: 'down',
          remoteDir: 'remote',
          localDir: target,
          parallel: 2,
        });

        // Nothing beside or above the target: only the path to it exists outside it.
        expect(await allNames(local.path)).to.deep.equal(
          [
            'inside',
            'inside/target',
            'inside/target/ok.txt',
            'inside/target/sub',
            'inside/target/sub/fine.txt',
          ].sort(),
        );
        // The listing parser drops names that are not one path component, so they never reach
        // the mirror's own guard (tested on its own in mirror/local-path.test.ts).
        expect(paths(result.events, 'failed')).to.deep.equal([]);
        expect(result.summary).to.deep.equal({ copied: 2, skipped: 0, failed: 0, bytes: 9 });
        // The bad names were never even asked for.
        const asked = hostile.commands.filter((command) => /^(RETR|MLSD|LIST) /.test(command));
        expect(asked.sort()).to.deep.equal(
          [
            `${mlsd ? 'MLSD' : 'LIST'} remote`,
            `${mlsd ? 'MLSD' : 'LIST'} remote/sub`,
            'RETR remote/ok.txt',
            'RETR remote/sub/fine.txt',
          ].sort(),
        );
      } finally {
        await client.close();
      }
    });
  }
});

describe('mirror against vsftpd', function () {
  let root: TempDir | undefined;
  let vsftpd: VsftpdServer | undefined;
  let local: TempDir | undefined;

  before(async function () {
    requirePeer(this, 'vsftpd');
    root = await makeTempDir('mirror-vsftpd');
    await makeTree(join(root.path, 'tree'), SAMPLE_TREE);
    vsftpd = await startVsftpd({ root: root.path });
    local = await makeTempDir('mirror-vsftpd-local');
  });

  after(async function () {
    await vsftpd?.stop();
    await root?.remove();
    await local?.remove();
  });

  it('rejects a remote directory that does not exist, though LIST shows it empty', async function () {
    if (vsftpd === undefined || local === undefined) throw new Error('no vsftpd');
    const client = await FtpClient.connect({
      host: vsftpd.host,
      port: vsftpd.port,
      user: vsftpd.user,
      password: vsftpd.password,
    });
    try {
      let error: unknown;
      try {
        await mirror({
          client,
          direction: 'down',
          remoteDir: '/no-such-dir',
          localDir: join(local.path, 'none'),
        });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(FtpReplyError);
      expect(await client.pwd()).to.equal('/');
    } finally {
      await client.close();
    }
  });

  for (const mode of ['passive', 'active'] as const) {
    it(`mirrors down and up (${mode}); a second run skips everything`, async function () {
      if (vsftpd === undefined || root === undefined || local === undefined) throw new Error('no vsftpd');
      const client = await FtpClient.connect({
        host: vsftpd.host,
        port: vsftpd.port,
        user: vsftpd.user,
        password: vsftpd.password,
        mode,
      });
      try {
        const down = join(local.path, mode);
        const source = join(root.path, 'tree');
        const files = await filesOf(source);
        const first = await run({ client, direction: 'down', remoteDir: '/tree', localDir: down });
        expect(await hashTree(down)).to.deep.equal(await hashTree(source), await vsftpd.log());
        expect(first.summary).to.deep.equal({
          copied: files.size,
          skipped: 0,
          failed: 0,
          bytes: sum(files.values()),
        });
        const again = await run({ client, direction: 'down', remoteDir: '/tree', localDir: down });
        expect(again.summary).to.deep.equal({ copied: 0, skipped: files.size, failed: 0, bytes: 0 });

        const remoteDir = `/${vsftpd.writableDir}/${mode}/copy`;
        const up = await run({ client, direction: 'up', remoteDir, localDir: down });
        expect(await hashTree(join(root.path, remoteDir))).to.deep.equal(
          await hashTree(down),
          await vsftpd.log(),
        );
        expect(up.summary).to.include({ copied: files.size, failed: 0 });
        // No MFMT here: the server stamps the upload time, which is not older than the local file.
        const upAgain = await run({ client, direction: 'up', remoteDir, localDir: down });
        expect(upAgain.summary).to.deep.equal({ copied: 0, skipped: files.size, failed: 0, bytes: 0 });
      } finally {
        await client.close();
      }
    });
  }
});

describe('mirror against pyftpdlib', function () {
  let root: TempDir | undefined;
  let local: TempDir | undefined;
  let pyftpdlib: PeerServer | undefined;

  before(async function () {
    requirePeer(this, 'pyftpdlib');
    root = await makeTempDir('mirror-pyftpdlib');
    local = await makeTempDir('mirror-pyftpdlib-local');
    // Enough files over three connections that pyftpdlib loses track of one of them now and then:
    // a login or an EPRT that never gets its answer (lftp's mirror -R --parallel=3 meets it too).
    for (const dir of ['', 'sub']) {
      await mkdir(join(local.path, 'site', dir), { recursive: true });
      for (let i = 0; i < 30; i++) {
        await writeFile(join(local.path, 'site', dir, `f${i}.bin`), Buffer.alloc(1000 + i * 997, i));
      }
    }
    pyftpdlib = await startPyftpdlib({ root: root.path });
  });

  after(async function () {
    await pyftpdlib?.stop();
    await root?.remove();
    await local?.remove();
  });

  it('mirrors up in active mode over parallel connections, riding out connections that stall', async function () {
    if (pyftpdlib === undefined || root === undefined || local === undefined) throw new Error('no pyftpdlib');
    const client = await FtpClient.connect({
      host: pyftpdlib.host,
      port: pyftpdlib.port,
      user: pyftpdlib.user,
      password: pyftpdlib.password,
      mode: 'active',
      // A stalled connection is given up after this; the default 30 s would only slow the test.
      replyTimeoutMs: 2000,
      dataTimeoutMs: 2000,
    });
    try {
      const source = join(local.path, 'site');
      const files = await filesOf(source);
      for (const round of [1, 2]) {
        const remoteDir = `/round${round}`;
        const up = await run({ client, direction: 'up', remoteDir, localDir: source, parallel: 3 });
        expect(up.summary, await pyftpdlib.log()).to.deep.equal({
          copied: files.size,
          skipped: 0,
          failed: 0,
          bytes: sum(files.values()),
        });
        expect(await hashTree(join(root.path, remoteDir))).to.deep.equal(await hashTree(source));
      }
    } finally {
      await client.close();
    }
  });
});
