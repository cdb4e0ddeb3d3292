// The `ftpkit` binary against real servers, used as a script and a person would: the shell's
// login with `open` then `user` (as `ftp -n` scripts do), listings, mget over links.
import { expect } from 'chai';
import { chmod, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/client/cli/main.js';
import {
  startFtpSrv,
  startPyftpdlib,
  startVsftpd,
  type PeerServer,
  type VsftpdServer,
} from '../helpers/peer-servers.js';
import { requirePeer } from '../helpers/peers.js';
import { run, type RunResult } from '../helpers/process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const BIN = fileURLToPath(new URL('../../../bin/ftpkit.js', import.meta.url));

/** stderr as a terminal shows it: a progress bar is drawn here. */
class TtyCapture extends PassThrough {
  readonly isTTY = true;
  readonly columns = 100;
  text = '';

  constructor() {
    super();
    this.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
  }
}

interface Peer {
  name: string;
  requires?: 'pyftpdlib' | 'vsftpd';
  start(root: string): Promise<PeerServer>;
}

const LOGIN_PEERS: readonly Peer[] = [
  { name: 'pyftpdlib', requires: 'pyftpdlib', start: (root) => startPyftpdlib({ root }) },
  { name: 'ftp-srv', start: (root) => startFtpSrv({ root }) },
];

describe('client interop: the ftpkit binary against real servers', function () {
  let home: TempDir;
  let work: TempDir;

  /** Runs the binary with no credentials from the test's own environment. */
  function ftpkit(args: string[], input?: string): Promise<RunResult> {
    return run(process.execPath, [BIN, ...args], {
      cwd: work.path,
      env: { HOME: home.path, NETRC: undefined, FTPKIT_USER: undefined, FTPKIT_PASSWORD: undefined },
      ...(input === undefined ? {} : { input }),
      timeoutMs: 30_000,
    });
  }

  const script = (lines: readonly string[]): string => lines.map((line) => `${line}\n`).join('');

  before(async function () {
    home = await makeTempDir('cli-interop-home');
    work = await makeTempDir('cli-interop-work');
  });

  after(async function () {
    await home.remove();
    await work.remove();
  });

  for (const peer of LOGIN_PEERS) {
    describe(`the shell against ${peer.name}`, function () {
      let root: TempDir | undefined;
      let server: PeerServer | undefined;

      before(async function () {
        if (peer.requires !== undefined) requirePeer(this, peer.requires);
        root = await makeTempDir(`cli-interop-${peer.name}`);
        await writeFile(join(root.path, 'hello.txt'), 'hello\n');
        server = await peer.start(root.path);
      });

      after(async function () {
        await server?.stop();
        await root?.remove();
      });

      it('open HOST PORT, then user NAME PASSWORD, as ftp -n scripts do: every command works, exit 0', async function () {
        if (server === undefined) throw new Error('no server');
        const result = await ftpkit(
          ['-v'],
          script([
            `open ${server.host} ${server.port}`,
            `user ${server.user} ${server.password}`,
            'ls',
            'pwd',
          ]),
        );
        expect(result.stderr, result.stdout).to.equal('');
        expect(result.code).to.equal(0);
        // No login before `user`: the one USER is the script's.
        expect(result.stdout.match(/^> USER /gm)).to.have.length(1);
        expect(result.stdout).to.match(/^hello\.txt$/m);
        expect(result.stdout).not.to.include(server.password);
      });

      it('user after a refused login starts a fresh connection, where the right password works', async function () {
        if (server === undefined) throw new Error('no server');
        const result = await ftpkit(
          [],
          script([
            `open ${server.host} ${server.port}`,
            `user ${server.user} wrong-password`,
            'pwd',
            `user ${server.user} ${server.password}`,
            'pwd',
          ]),
        );
        const errors = result.stderr.split('\n');
        expect(errors[0]).to.match(
          new RegExp(`^user ${server.user}: cannot log in to .* as ${server.user}: 530 `),
        );
        // Refused: said here, not sent to the server unauthenticated.
        expect(errors[1]).to.equal('pwd: Not logged in. (user NAME logs in)');
        expect(errors).to.have.length(3);
        expect(result.stdout).to.include(`Logged in as ${server.user}.`);
        expect(result.stdout).to.match(/^\/$/m);
        expect(result.code).to.equal(1);
      });
    });
  }

  describe('listings against pyftpdlib', function () {
    let root: TempDir | undefined;
    let server: PeerServer | undefined;

    before(async function () {
      requirePeer(this, 'pyftpdlib');
      root = await makeTempDir('cli-interop-listing');
      await mkdir(join(root.path, 'adir'));
      await chmod(join(root.path, 'adir'), 0o750);
      await writeFile(join(root.path, 'run.sh'), '#!/bin/sh\n');
      await chmod(join(root.path, 'run.sh'), 0o755);
      await writeFile(join(root.path, 'a.txt'), 'a');
      await chmod(join(root.path, 'a.txt'), 0o640);
      server = await startPyftpdlib({ root: root.path });
    });

    after(async function () {
      await server?.stop();
      await root?.remove();
    });

    it('shows the real permissions (pyftpdlib sends unix.mode only when asked), with no mark unless -F', async function () {
      if (server === undefined) throw new Error('no server');
      const url = `ftp://${server.user}:${server.password}@${server.host}:${server.port}/`;
      const plain = await ftpkit(['ls', '-v', url]);
      expect(plain.code, plain.stderr).to.equal(0);
      // Every fact the listing reads that the server offers, in the server's order.
      expect(plain.stderr).to.match(/^> OPTS MLST type;perm;size;modify;unix\.mode;unix\.uid;unix\.gid;$/m);
      const lines = plain.stdout.trimEnd().split('\n');
      expect(lines.map((line) => line.slice(0, 10))).to.deep.equal([
        '-rw-r-----',
        'drwxr-x---',
        '-rwxr-xr-x',
      ]);
      expect(lines.map((line) => line.split(' ').at(-1))).to.deep.equal(['a.txt', 'adir', 'run.sh']);

      const marked = await ftpkit(['ls', '-F', url]);
      expect(
        marked.stdout
          .trimEnd()
          .split('\n')
          .map((line) => line.split(' ').at(-1)),
      ).to.deep.equal(['a.txt', 'adir/', 'run.sh*']);
    });
  });

  describe('progress against pyftpdlib, whose 150 reply does not say the size', function () {
    let root: TempDir | undefined;
    let server: PeerServer | undefined;

    before(async function () {
      requirePeer(this, 'pyftpdlib');
      root = await makeTempDir('cli-interop-progress');
      await writeFile(join(root.path, 'sized.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
      server = await startPyftpdlib({ root: root.path });
    });

    after(async function () {
      await server?.stop();
      await root?.remove();
    });

    it('the bar shows a percentage and the total, from SIZE', async function () {
      if (server === undefined) throw new Error('no server');
      const stderr = new TtyCapture();
      const stdout = new PassThrough();
      stdout.resume();
      const url = `ftp://${server.user}:${server.password}@${server.host}:${server.port}/sized.bin`;
      const code = await main(['get', url, '-o', '-'], {
        stdout,
        stderr,
        env: {},
        homedir: home.path,
        cwd: work.path,
        onInterrupt: () => () => undefined,
      });
      expect(code, stderr.text).to.equal(0);
      expect(stderr.text).to.match(/\r\x1b\[K\S+ +\[[#-]+\] +\d+%  .* \/ 3\.0 MiB .* ETA /);
    });
  });

  describe('against vsftpd', function () {
    let root: TempDir | undefined;
    let server: VsftpdServer | undefined;

    before(async function () {
      requirePeer(this, 'vsftpd');
      root = await makeTempDir('cli-interop-vsftpd');
      const pub = join(root.path, 'pub');
      await mkdir(join(pub, 'docs'), { recursive: true });
      await writeFile(join(pub, 'real.txt'), 'the file itself\n');
      await symlink('real.txt', join(pub, 'alias.txt'));
      await symlink('docs', join(pub, 'docs.txt'));
      await writeFile(join(pub, 'old.txt'), 'old\n');
      const old = new Date(Date.UTC(2020, 0, 2, 3, 4));
      await utimes(join(pub, 'old.txt'), old, old);
      server = await startVsftpd({ root: root.path });
    });

    after(async function () {
      await server?.stop();
      await root?.remove();
    });

    it('mget takes a link to a file, and says that a link to a directory was skipped', async function () {
      if (server === undefined) throw new Error('no server');
      const into = await makeTempDir('cli-interop-mget');
      try {
        const result = await ftpkit(
          [`ftp://${server.host}:${server.port}/pub/`],
          script([`lcd "${into.path}"`, 'mget *.txt']),
        );
        expect(result.code, result.stderr).to.equal(0);
        expect(await readFile(join(into.path, 'alias.txt'), 'utf8')).to.equal('the file itself\n');
        expect(await readFile(join(into.path, 'real.txt'), 'utf8')).to.equal('the file itself\n');
        expect(result.stderr).to.include('warning: docs.txt: a link to a directory; skipped');
      } finally {
        await into.remove();
      }
    });

    it('shows a LIST time the server gave as a year as the date alone', async function () {
      if (server === undefined) throw new Error('no server');
      const result = await ftpkit(['ls', `ftp://${server.host}:${server.port}/pub/`]);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/ 2020-01-02 {7}old\.txt$/m);
      expect(result.stdout).to.match(/^l\S+ +\d+ \S+ \d\d:\d\d alias\.txt -> real\.txt$/m);
    });
  });
});
