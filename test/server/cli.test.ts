import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEpsvReply } from '../../src/protocol/address/epsv.js';
import { RawControl } from '../helpers/raw-control.js';
import { run, startProcess, type ProcessHandle } from '../helpers/process.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ftpkitd.js');

describe('ftpkitd command line', function () {
  let dir: string;
  const running: ProcessHandle[] = [];

  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), 'ftpkit-cli-'));
  });

  afterEach(async function () {
    await Promise.all(running.splice(0).map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  async function start(
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ handle: ProcessHandle; port: number }> {
    const handle = await startProcess(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    running.push(handle);
    const listening = await handle.waitForLine(/^.*"msg":"listening".*$/, { stream: 'stdout' });
    const port = Number(/"port":(\d+)/.exec(listening[0])?.[1]);
    expect(port).to.be.above(0);
    return { handle, port };
  }

  it('starts with a generated user, creates the root and prints a ready URL', async function () {
    const root = join(dir, 'served');
    const { handle, port } = await start(['--root', root, '--port', '0']);
    const url = await handle.waitForLine(/ftp:\/\/(ftpkit):([^@]+)@127\.0\.0\.1:(\d+)\//, {
      stream: 'stderr',
    });
    expect(Number(url[3])).to.equal(port);
    expect((await stat(root)).isDirectory()).to.equal(true);
    const control = await RawControl.connect('127.0.0.1', port);
    await control.login(url[1]!, url[2]!);
    expect((await control.command('STOU')).code).to.equal(425);
    await control.close();
    const anon = await RawControl.connect('127.0.0.1', port);
    expect((await anon.command('USER anonymous')).code).to.equal(331);
    expect((await anon.command('PASS x@y')).code).to.be.oneOf([421, 530]);
    await anon.close();
  });

  it('prints --help and refuses bad options with exit code 2', async function () {
    const help = await run(process.execPath, [BIN, '--help']);
    expect(help.code).to.equal(0);
    for (const flag of [
      '--root',
      '--host',
      '--port',
      '--users',
      '--anonymous',
      '--anonymous-write',
      '--pasv-range',
      '--pasv-address',
      '--config',
      '--log-level',
      '--metrics',
      '--xferlog',
      'passwd',
    ]) {
      expect(help.stdout, flag).to.contain(flag);
    }
    for (const args of [
      ['--port', 'x'],
      ['--pasv-range', '60000-50000'],
      ['--bogus'],
      ['--log-level', 'loud'],
      ['--metrics', 'nowhere'],
      ['--root', join(dir, 'r'), '--xferlog', join(dir, 'no', 'such', 'xferlog')],
    ]) {
      const bad = await run(process.execPath, [BIN, ...args]);
      expect(bad.code, args.join(' ')).to.equal(2);
      expect(bad.stderr, args.join(' ')).to.match(/^ftpkitd: /);
    }
  });

  it('passwd creates accounts that --users serves, read-only honoured', async function () {
    const users = join(dir, 'users.json');
    const root = join(dir, 'root');
    const add = await run(process.execPath, [BIN, 'passwd', '--users', users, 'alice'], {
      input: 's3cret\n',
    });
    expect(add.code, add.stderr).to.equal(0);
    const ro = await run(process.execPath, [BIN, 'passwd', '--users', users, '--read-only', 'bob'], {
      input: 'b0b\n',
    });
    expect(ro.code, ro.stderr).to.equal(0);
    const file = await readFile(users, 'utf8');
    expect(file).not.to.contain('s3cret');
    expect(((await stat(users)).mode & 0o777).toString(8)).to.equal('600');
    const { port } = await start(['--root', root, '--port', '0', '--users', users, '--login-delay', '0']);
    const alice = await RawControl.connect('127.0.0.1', port);
    await alice.login('alice', 's3cret');
    expect((await alice.command('MKD made-by-alice')).code).to.equal(257);
    await alice.close();
    const bob = await RawControl.connect('127.0.0.1', port);
    await bob.login('bob', 'b0b');
    expect((await bob.command('MKD nope')).code).to.equal(550);
    await bob.close();
    const wrong = await RawControl.connect('127.0.0.1', port);
    expect((await wrong.command('USER alice')).code).to.equal(331);
    expect((await wrong.command('PASS nope')).code).to.equal(530);
    await wrong.close();
  });

  it('reads --config, lets flags win, and serves anonymous read-only when asked', async function () {
    const config = join(dir, 'ftpkitd.json');
    const root = join(dir, 'cfg-root');
    await writeFile(config, JSON.stringify({ root, port: 1, anonymous: true, 'log-level': 'info' }));
    const { port } = await start(['--config', config, '--port', '0']);
    await writeFile(join(root, 'pub.txt'), 'public');
    const anon = await RawControl.connect('127.0.0.1', port);
    await anon.login('anonymous', 'me@example.com');
    expect((await anon.command('SIZE pub.txt')).text).to.equal('6');
    expect((await anon.command('DELE pub.txt')).code).to.equal(550);
    await anon.close();
  });

  it('serves --metrics and writes --xferlog, reopened on SIGHUP after rotation', async function () {
    const root = join(dir, 'ops');
    const xferlog = join(dir, 'xferlog');
    const { handle, port } = await start([
      '--root',
      root,
      '--port',
      '0',
      '--anonymous',
      '--metrics',
      '127.0.0.1:0',
      '--xferlog',
      xferlog,
    ]);
    const metricsLine = await handle.waitForLine(/^.*"msg":"metrics listening".*$/, { stream: 'stdout' });
    const metricsPort = Number(/"port":(\d+)/.exec(metricsLine[0])?.[1]);
    await writeFile(join(root, 'f.txt'), 'hello');
    const fetchFile = async (): Promise<void> => {
      const control = await RawControl.connect('127.0.0.1', port);
      await control.login('anonymous', 'x@y');
      const { data } = await control.passive('127.0.0.1', true);
      expect((await control.command('RETR f.txt')).code).to.equal(150);
      expect((await control.read()).code).to.equal(226);
      expect((await data).toString()).to.equal('hello');
      await control.close();
    };
    await fetchFile();
    await rename(xferlog, `${xferlog}.1`);
    process.kill(handle.pid, 'SIGHUP');
    await handle.waitForLine(/"msg":"logs reopened"/, { stream: 'stdout' });
    await fetchFile();
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).to.match(/^ftpkitd_transfers_total\{direction="download",mode="passive",result="ok"\} 2$/m);
    expect(text).to.match(/^ftpkitd_logins_total\{result="ok"\} 2$/m);
    for (const file of [`${xferlog}.1`, xferlog]) {
      expect(await readFile(file, 'utf8')).to.match(
        / 127\.0\.0\.1 5 \/f\.txt a _ o a anonymous ftp 0 \* c\n$/,
      );
    }
  });

  it('stops on SIGTERM with exit code 0 after letting a running transfer finish', async function () {
    const root = join(dir, 'r');
    const { handle, port } = await start(['--root', root, '--port', '0', '--anonymous-write']);
    await writeFile(join(root, 'big.bin'), Buffer.alloc(4 * 1024 * 1024, 1));
    const control = await RawControl.connect('127.0.0.1', port);
    await control.login('anonymous', 'x@y');
    await control.command('TYPE I');
    const { socket, data } = await control.passive('127.0.0.1');
    socket.pause();
    expect((await control.command('RETR big.bin')).code).to.equal(150);
    process.kill(handle.pid, 'SIGTERM');
    await handle.waitForLine(/shutting down/, { stream: 'stdout' });
    socket.resume();
    expect((await data).length).to.equal(4 * 1024 * 1024);
    expect((await control.read()).code).to.equal(226);
    expect((await control.read()).code).to.equal(421);
    const exit = await handle.exited;
    expect(exit.code).to.equal(0);
    await control.close();
  });

  it('on SIGTERM past --shutdown-timeout, cuts 20 running transfers cleanly: 426 and 421, nothing half-written, each logged', async function () {
    const root = join(dir, 'cut');
    const { handle, port } = await start([
      '--root',
      root,
      '--port',
      '0',
      '--anonymous-write',
      '--shutdown-timeout',
      '1',
    ]);
    const old = 'the old content';
    await writeFile(join(root, 'big.bin'), '');
    await truncate(join(root, 'big.bin'), 64 * 1024 * 1024);
    // Ten uploads (five to new names, five over files) and ten downloads, all still running.
    const transfers: RawControl[] = [];
    const data: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const control = await RawControl.connect('127.0.0.1', port);
      await control.login('anonymous', 'x@y');
      // A data connection of our own, never read: RawControl.passive would drain it.
      const socket = connect({
        host: '127.0.0.1',
        port: parseEpsvReply((await control.command('EPSV')).text),
      });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      data.push(socket);
      if (i < 10) {
        if (i % 2 === 1) await writeFile(join(root, `up${i}.txt`), old);
        expect((await control.command(`STOR up${i}.txt`)).code).to.equal(150);
        socket.write('half of it');
      } else {
        expect((await control.command('RETR big.bin')).code).to.equal(150);
      }
      transfers.push(control);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(handle.pid, 'SIGTERM');
    for (const control of transfers) {
      expect((await control.read(5000)).code).to.equal(426);
      expect((await control.read(5000)).code).to.equal(421);
    }
    const exit = await handle.exited;
    expect(exit.code).to.equal(0);
    const names = (await readdir(root)).sort();
    expect(names).to.deep.equal(['big.bin', 'up1.txt', 'up3.txt', 'up5.txt', 'up7.txt', 'up9.txt']);
    for (const name of names.filter((n) => n.startsWith('up'))) {
      expect(await readFile(join(root, name), 'utf8')).to.equal(old);
    }
    const logged = handle.stdout().split('\n');
    const lines = logged.filter((line) => line.includes('"msg":"transfer"'));
    expect(lines).to.have.length(20);
    for (const line of lines) expect(line).to.include('"ok":false');
    const stopped = logged.findIndex((line) => line.includes('"msg":"stopped"'));
    expect(stopped).to.be.above(logged.findLastIndex((line) => line.includes('"msg":"transfer"')));
    for (const control of transfers) await control.close();
    for (const socket of data) socket.destroy();
  });
});
