import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';

import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEpsvReply } from '../../src/protocol/address/epsv.js';
import { runInPty, startInPty } from '../helpers/pty.js';
import { collect, RawControl } from '../helpers/raw-control.js';
import { run, startProcess, type ProcessHandle } from '../helpers/process.js';
import { makeCertificate } from '../helpers/tls-cert.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ftpkitd.js');

/** A passive data connection of our own, never read (RawControl.passive would drain it). */
async function unreadDataConnection(control: RawControl): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port: parseEpsvReply((await control.command('EPSV')).text) });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.pause();
  return socket;
}

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
    const handle = await startProcess(process.execPath, [BIN, ...args], {
      env: { ...process.env, XDG_STATE_HOME: join(dir, 'state'), ...env },
    });
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
    ]) {
      const bad = await run(process.execPath, [BIN, ...args]);
      expect(bad.code, args.join(' ')).to.equal(2);
      expect(bad.stderr, args.join(' ')).to.match(/^ftpkitd: .*\n\(see ftpkitd --help\)\n$/);
    }
  });

  it('prints its version', async function () {
    const pkg = JSON.parse(await readFile(resolve(BIN, '../../package.json'), 'utf8')) as { version: string };
    const version = await run(process.execPath, [BIN, '--version']);
    expect(version.code).to.equal(0);
    expect(version.stdout).to.equal(`ftpkitd ${pkg.version}\n`);
  });

  it('fails to start with one line and exit code 1: port in use, root a file, bad config value, unwritable xferlog', async function () {
    const { port } = await start(['--root', join(dir, 'first'), '--port', '0', '--anonymous']);
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const config = join(dir, 'bad.json');
    await writeFile(config, JSON.stringify({ 'max-per-ip': 0 }));
    const cases: [string[], RegExp][] = [
      [
        ['--port', String(port)],
        new RegExp(
          `^ftpkitd: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use \\(another server is there; choose another port\\)\\n$`,
        ),
      ],
      [['--root', file], /^ftpkitd: the root .*a-file is not a directory\n$/],
      [
        ['--config', config],
        /^ftpkitd: config file .*bad\.json: "max-per-ip" must be a whole number from 1 to 1000000, got 0\n$/,
      ],
      [
        ['--xferlog', join(dir, 'no', 'such', 'xferlog')],
        /^ftpkitd: cannot open the xferlog .*xferlog: no such file or directory\n$/,
      ],
    ];
    for (const [args, expected] of cases) {
      const result = await run(process.execPath, [BIN, '--root', join(dir, 'r'), '--anonymous', ...args]);
      expect(result.code, args.join(' ')).to.equal(1);
      expect(result.stderr, args.join(' ')).to.match(expected);
    }
  });

  it('fails to start with one line and exit code 1 on a TLS certificate or key that cannot serve', async function () {
    const one = await makeCertificate(dir, 'one');
    const other = await makeCertificate(dir, 'other');
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'hello\n');
    const cases: [string[], RegExp][] = [
      [
        ['--tls-cert', join(dir, 'missing.crt'), '--tls-key', one.keyFile],
        /^ftpkitd: cannot read the TLS certificate .*missing\.crt: no such file or directory\n$/,
      ],
      [
        ['--tls-cert', one.certFile, '--tls-key', other.keyFile],
        /^ftpkitd: TLS certificate .*one\.crt and key .*other\.key: the key does not belong to the certificate\n$/,
      ],
      [['--tls-cert', one.certFile, '--tls-key', notPem], /^ftpkitd: the TLS key .*not\.pem is not PEM/],
    ];
    for (const [args, expected] of cases) {
      const result = await run(process.execPath, [
        BIN,
        '--root',
        join(dir, 'r'),
        '--anonymous',
        '--port',
        '0',
        ...args,
      ]);
      expect(result.code, args.join(' ')).to.equal(1);
      expect(result.stderr, args.join(' ')).to.match(expected);
    }
    const half = await run(process.execPath, [BIN, '--root', join(dir, 'r'), '--tls-cert', one.certFile]);
    // Exit 1, not 2: the pair may come from a config file and a flag together.
    expect(half.code).to.equal(1);
    expect(half.stderr).to.match(/^ftpkitd: tls-cert is set but tls-key is not/);
  });

  it('--implicit-tls-port 0 listens for implicit FTPS on a free port the listening line names', async function () {
    const cert = await makeCertificate(dir);
    const { handle, port } = await start([
      '--root',
      join(dir, 'r'),
      '--anonymous',
      '--port',
      '0',
      '--tls-cert',
      cert.certFile,
      '--tls-key',
      cert.keyFile,
      '--implicit-tls-port',
      '0',
      '--log-format',
      'json',
    ]);
    const listening = await handle.waitForLine(/^.*"msg":"listening".*$/, { stream: 'stdout' });
    const implicitPort = Number(/"implicitTlsPort":(\d+)/.exec(listening[0])?.[1]);
    expect(implicitPort).to.be.above(0).and.not.equal(port);
    const c = await RawControl.connectImplicit('127.0.0.1', implicitPort, { ca: cert.cert });
    expect(c.greeting?.code).to.equal(220);
    await c.login('anonymous', 'guest@example.com');
    expect((await c.command('PWD')).code).to.equal(257);
    await c.close();

    const alone = await run(process.execPath, [BIN, '--root', join(dir, 'r'), '--implicit-tls-port', '0']);
    expect(alone.code).to.equal(1);
    expect(alone.stderr).to.match(/^ftpkitd: implicit-tls-port is set but tls-cert and tls-key are not/);
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

  it('warns when --anonymous takes a name that the users file also has (that account can never log in)', async function () {
    const users = join(dir, 'users.json');
    const add = await run(process.execPath, [BIN, 'passwd', '--users', users, 'ftp'], { input: 'pw-ftp\n' });
    expect(add.code, add.stderr).to.equal(0);
    const { handle } = await start([
      '--root',
      join(dir, 'root'),
      '--port',
      '0',
      '--users',
      users,
      '--anonymous',
    ]);
    const warning = await handle.waitForLine(/^.*"msg":"account never used.*$/, { stream: 'stdout' });
    expect(JSON.parse(warning[0])).to.include({ level: 40, user: 'ftp', users });
  });

  it('SIGHUP re-reads the certificate, the key and the users file, and sessions go on', async function () {
    const users = join(dir, 'users.json');
    const root = join(dir, 'root');
    await mkdir(root);
    await writeFile(join(root, 'f.txt'), 'hello');
    const addUser = async (name: string): Promise<void> => {
      const added = await run(process.execPath, [BIN, 'passwd', '--users', users, name], {
        input: `${name}-pw\n`,
      });
      expect(added.code, added.stderr).to.equal(0);
    };
    await addUser('alice');
    const old = await makeCertificate(dir, 'old');
    const renewed = await makeCertificate(dir, 'new');
    const certFile = join(dir, 'live.crt');
    const keyFile = join(dir, 'live.key');
    await copyFile(old.certFile, certFile);
    await copyFile(old.keyFile, keyFile);
    const { handle, port } = await start([
      ...['--root', root, '--port', '0', '--users', users, '--login-delay', '0', '--log-format', 'json'],
      ...['--tls-cert', certFile, '--tls-key', keyFile],
    ]);
    const fingerprint = (pem: Buffer): string => new X509Certificate(pem).fingerprint256;
    const secureLogin = async (user: string): Promise<{ c: RawControl; seen: string }> => {
      const c = await RawControl.connect('127.0.0.1', port);
      expect((await c.command('AUTH TLS')).code).to.equal(234);
      const secure = await c.startTls();
      await c.login(user, `${user}-pw`);
      return { c, seen: secure.getPeerCertificate().fingerprint256 };
    };
    const download = async (c: RawControl): Promise<string> => {
      expect((await c.command('PBSZ 0')).code).to.equal(200);
      expect((await c.command('PROT P')).code).to.equal(200);
      const dataPort = parseEpsvReply((await c.command('EPSV')).text);
      const data = connectTls({
        host: '127.0.0.1',
        port: dataPort,
        rejectUnauthorized: false,
        session: c.tlsSession,
      });
      data.on('error', () => undefined);
      const bytes = collect(data);
      expect((await c.command('RETR f.txt')).code).to.equal(150);
      expect((await c.read()).code).to.equal(226);
      return (await bytes).toString();
    };

    const before = await secureLogin('alice');
    expect(before.seen).to.equal(fingerprint(old.cert));
    await copyFile(renewed.certFile, certFile);
    await copyFile(renewed.keyFile, keyFile);
    await addUser('bob');
    let mark = handle.mark();
    process.kill(handle.pid, 'SIGHUP');
    await handle.waitForLine(/"msg":"TLS certificate reloaded"/, { stream: 'stdout', since: mark });
    await handle.waitForLine(/"msg":"users file reloaded"/, { stream: 'stdout', since: mark });

    const bob = await secureLogin('bob');
    expect(bob.seen).to.equal(fingerprint(renewed.cert));
    expect(await download(bob.c)).to.equal('hello');
    // The session from before keeps its certificate and its TLS session for data connections.
    expect((await before.c.command('NOOP')).code).to.equal(200);
    expect(await download(before.c)).to.equal('hello');
    await Promise.all([before.c.close(), bob.c.close()]);

    // A users file that cannot be read keeps the one in use, in one error line.
    await writeFile(users, '{ not json');
    mark = handle.mark();
    process.kill(handle.pid, 'SIGHUP');
    const error = await handle.waitForLine(/^.*"msg":"cannot reload the users file.*$/, {
      stream: 'stdout',
      since: mark,
    });
    expect(error[0]).to.match(/"level":50/);
    const again = await secureLogin('bob');
    expect((await again.c.command('PWD')).code).to.equal(257);
    await again.c.close();
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

  it('hashes a password only when it must, as --metrics counts: not for anonymous beside --users, nor a repeat login', async function () {
    const users = join(dir, 'users.json');
    const add = await run(process.execPath, [BIN, 'passwd', '--users', users, 'alice'], {
      input: 's3cret\n',
    });
    expect(add.code, add.stderr).to.equal(0);
    const { handle, port } = await start([
      ...['--root', join(dir, 'root'), '--port', '0', '--users', users, '--anonymous'],
      ...['--login-delay', '0', '--metrics', '127.0.0.1:0'],
    ]);
    const metricsLine = await handle.waitForLine(/^.*"msg":"metrics listening".*$/, { stream: 'stdout' });
    const metricsPort = Number(/"port":(\d+)/.exec(metricsLine[0])?.[1]);
    const hashes = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return Number(/^ftpkitd_password_hashes_total (\d+)$/m.exec(text)?.[1]);
    };
    const login = async (user: string, password: string): Promise<number> => {
      const control = await RawControl.connect('127.0.0.1', port);
      expect((await control.command(`USER ${user}`)).code).to.equal(331);
      const { code } = await control.command(`PASS ${password}`);
      await control.close();
      return code;
    };
    // Loading the users file made one (the hash unknown names are checked against).
    const atStart = await hashes();
    expect(await login('anonymous', 'me@example.com')).to.equal(230);
    expect(await hashes()).to.equal(atStart);
    expect(await login('alice', 's3cret')).to.equal(230);
    expect(await hashes()).to.equal(atStart + 1);
    expect(await login('alice', 's3cret')).to.equal(230);
    expect(await hashes()).to.equal(atStart + 1);
    expect(await login('alice', 'wrong')).to.equal(530);
    expect(await hashes()).to.equal(atStart + 2);
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
      const socket = await unreadDataConnection(control);
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
    // The log is read below: its last lines may still be in the pipe when the exit is reported.
    await handle.waitForLine(/"msg":"stopped"/, { stream: 'stdout' });
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

  describe('the generated account', function () {
    it('is kept hashed in the state folder and reused after a restart: the URL again, the password never again', async function () {
      const root = join(dir, 'served');
      const first = await start(['--root', root, '--port', '0']);
      const url = await first.handle.waitForLine(/ftp:\/\/(ftpkit):([^@]+)@127\.0\.0\.1:(\d+)\//, {
        stream: 'stderr',
      });
      const password = url[2]!;
      await first.handle.stop();
      const kept = join(dir, 'state', 'ftpkitd', 'users.json');
      expect((await stat(kept)).mode & 0o777).to.equal(0o600);
      expect(await readFile(kept, 'utf8')).not.to.contain(password);

      const second = await start(['--root', root, '--port', '0']);
      const again = await second.handle.waitForLine(/forgot it\? ftpkitd passwd --users (\S+) ftpkit/, {
        stream: 'stderr',
      });
      expect(again[1]).to.equal(kept);
      expect(second.handle.stderr()).to.contain(`ftp://ftpkit@127.0.0.1:${second.port}/`);
      expect(second.handle.stderr()).not.to.contain(password);
      const control = await RawControl.connect('127.0.0.1', second.port);
      await control.login('ftpkit', password);
      expect((await control.command('MKD still-mine')).code).to.equal(257);
      await control.close();
    });

    it('refuses a state folder inside the served root', async function () {
      const root = join(dir, 'served');
      const result = await run(process.execPath, [
        BIN,
        '--root',
        root,
        '--port',
        '0',
        '--state-dir',
        join(root, 'st'),
      ]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(
        /^ftpkitd: the state folder .* is inside the served root .*--state-dir\n$/,
      );
    });
  });

  it('refuses to start with a users file others can write, naming the file and its mode', async function () {
    const users = join(dir, 'users.json');
    expect(
      (await run(process.execPath, [BIN, 'passwd', '--users', users, 'alice'], { input: 'pw\n' })).code,
    ).to.equal(0);
    await chmod(users, 0o666);
    const result = await run(process.execPath, [
      BIN,
      '--root',
      join(dir, 'r'),
      '--port',
      '0',
      '--users',
      users,
    ]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      `ftpkitd: users file ${users} is writable by everyone (mode 0666); anyone who can write it can add an account: chmod 600 ${users}\n`,
    );
  });

  it('warns at startup about a root it cannot write, and logs failed commands at info and failed logins at warn', async function () {
    const root = join(dir, 'read-only-root');
    await mkdir(root, { mode: 0o555 });
    await chmod(dir, 0o755);
    // root can write anywhere: the server then runs as nobody, as a service would run unprivileged.
    const asRoot = process.getuid?.() === 0;
    const args = [BIN, '--root', root, '--port', '0', '--anonymous-write', '--state-dir', join(dir, 'state')];
    const handle = asRoot
      ? await startProcess('setpriv', [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          ...args,
        ])
      : await startProcess(process.execPath, args);
    running.push(handle);
    const warning = await handle.waitForLine(/^.*"msg":"not writable by the server's user.*$/, {
      stream: 'stdout',
    });
    expect(JSON.parse(warning[0])).to.include({ level: 40, folder: root });
    const listening = await handle.waitForLine(/^.*"msg":"listening".*$/, { stream: 'stdout' });
    const port = Number(/"port":(\d+)/.exec(listening[0])?.[1]);
    const control = await RawControl.connect('127.0.0.1', port);
    await control.login('anonymous', 'x@y');
    expect((await control.command('MKD newdir')).code).to.equal(550);
    const failed = await handle.waitForLine(/^.*"msg":"command failed".*$/, { stream: 'stdout' });
    expect(JSON.parse(failed[0])).to.include({ level: 30, code: 550, verb: 'MKD', arg: 'newdir' });
    await control.close();
    const guess = await RawControl.connect('127.0.0.1', port);
    await guess.command('USER someone');
    expect((await guess.command('PASS wrong')).code).to.equal(530);
    const login = await handle.waitForLine(/^.*"msg":"login failed".*$/, { stream: 'stdout' });
    expect(JSON.parse(login[0])).to.include({ level: 40, user: 'someone' });
    expect(handle.stdout()).not.to.contain('wrong');
    await guess.close();
  });

  describe('on a terminal', function () {
    it('logs readable lines, says on Ctrl-C what running transfers get, and a second Ctrl-C cuts them cleanly', async function () {
      const root = join(dir, 'tty');
      await mkdir(root);
      await writeFile(join(root, 'big.bin'), Buffer.alloc(16 * 1024 * 1024));
      const handle = await startInPty(
        process.execPath,
        [BIN, '--root', root, '--port', '0', '--anonymous', '--shutdown-timeout', '60'],
        { XDG_STATE_HOME: join(dir, 'state') },
      );
      running.push(handle);
      const listening = await handle.waitForLine(/INFO.*listening.*"port":\s*(\d+)/);
      expect(listening[0]).not.to.match(/^\s*\{/);
      const control = await RawControl.connect('127.0.0.1', Number(listening[1]));
      await control.login('anonymous', 'x@y');
      const socket = await unreadDataConnection(control);
      expect((await control.command('RETR big.bin')).code).to.equal(150);

      handle.write('\u0003');
      await handle.waitForLine(
        /ftpkitd: stopping; 1 running transfer gets up to 60 s to finish\. Ctrl-C again stops them now\./,
      );
      // A terminal's Ctrl-C also discards output not read yet (no NOFLSH): the log line is awaited
      // first, as the person at the terminal would have seen it.
      await handle.waitForLine(/INFO.*shutting down/);
      handle.write('\u0003');
      expect((await control.read(5000)).code).to.equal(426);
      expect((await control.read(5000)).code).to.equal(421);
      // 'exit' can come before the last output has been read from the pipe: wait for the line.
      await handle.waitForLine(/INFO.*stopped/);
      expect((await handle.exited).code).to.equal(0);
      const out = handle.stdout();
      const order = ['shutting down', 'second signal', '"direction":"send"', 'stopped'].map((text) =>
        out.indexOf(text),
      );
      expect(order, out).to.deep.equal([...order].sort((x, y) => x - y));
      expect(order[0]).to.be.above(-1);
      socket.destroy();
      await control.close();
    });

    it('passwd asks twice without echo, and changes nothing when the two differ', async function () {
      const users = join(dir, 'users.json');
      const ok = await runInPty(
        process.execPath,
        [BIN, 'passwd', '--users', users, 'alice'],
        [
          { expect: 'New password for alice: ', send: 'tty-secret\r' },
          { expect: 'Retype it: ', send: 'tty-secret\r' },
          { expect: 'user alice created' },
        ],
      );
      expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
      expect(ok.stdout).not.to.contain('tty-secret');
      const before = await readFile(users, 'utf8');
      const mismatch = await runInPty(
        process.execPath,
        [BIN, 'passwd', '--users', users, 'alice'],
        [
          { expect: 'New password for alice: ', send: 'one\r' },
          { expect: 'Retype it: ', send: 'two\r' },
          { expect: 'do not match' },
        ],
      );
      expect(mismatch.code).to.equal(1);
      expect(mismatch.stdout).to.contain('ftpkitd: passwd: the passwords do not match; nothing changed');
      expect(await readFile(users, 'utf8')).to.equal(before);
    });
  });

  it('passwd --help shows its own help', async function () {
    const help = await run(process.execPath, [BIN, 'passwd', '--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^ftpkitd passwd: /);
    expect(help.stdout).to.contain('--read-only');
    expect(help.stdout).not.to.contain('--pasv-range');
  });
});
