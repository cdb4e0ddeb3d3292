import { expect } from 'chai';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { mkdir, readFile, readdir, symlink, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../helpers/manual-clock.js';
import { RawControl, collect } from '../helpers/raw-control.js';
import { startServer, type TestServer, USER, PASSWORD } from '../helpers/start-server.js';
import { parsePasvReply } from '../../src/protocol/address/port.js';
import { waitFor } from '../helpers/wait.js';

describe('server security and bad input', function () {
  let server: TestServer;
  let control: RawControl;
  let outside: string;

  beforeEach(async function () {
    server = await startServer();
    outside = await mkdtemp(join(tmpdir(), 'ftpkit-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'top secret');
    control = await RawControl.connect(server.host, server.port);
  });

  afterEach(async function () {
    await control.close();
    await server.close();
    await rm(outside, { recursive: true, force: true });
  });

  /** The server still answers a whole login and a command after whatever a test threw at it. */
  async function stillServes(): Promise<void> {
    const fresh = await RawControl.connect(server.host, server.port);
    try {
      await fresh.login(USER, PASSWORD);
      expect((await fresh.command('PWD')).code).to.equal(257);
    } finally {
      await fresh.close();
    }
  }

  it('answers 530 to everything but USER, PASS, QUIT, FEAT, SYST, HELP and NOOP before login', async function () {
    for (const line of [
      'PWD',
      'CWD /',
      'LIST',
      'RETR x',
      'STOR x',
      'PASV',
      'EPSV',
      'PORT 127,0,0,1,4,1',
      'MKD d',
      'DELE x',
      'SIZE x',
      'STAT',
      'TYPE I',
      'MLSD',
      'REST 0',
      'RNFR x',
      'OPTS UTF8 ON',
      'OPTS MLST type;',
    ]) {
      const reply = await control.command(line);
      expect(reply.code, line).to.equal(530);
    }
    expect((await control.command('FEAT')).code).to.equal(211);
    expect((await control.command('SYST')).code).to.equal(215);
    expect((await control.command('HELP')).code).to.equal(214);
    expect((await control.command('NOOP')).code).to.equal(200);
    await control.login(USER, PASSWORD);
    expect((await control.command('PWD')).code).to.equal(257);
  });

  it('delays wrong passwords and ends the session after repeated failures', async function () {
    await server.close();
    server = await startServer({ options: { failedLoginDelayMs: 300, maxLoginFailures: 3 } });
    await control.close();
    control = await RawControl.connect(server.host, server.port);
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await control.command(`USER ${USER}`)).code).to.equal(331);
      const started = Date.now();
      const reply = await control.command('PASS wrong');
      expect(Date.now() - started).to.be.at.least(250);
      expect(reply.code).to.equal(attempt < 3 ? 530 : 421);
    }
    await once(control.socket, 'close');
    await stillServes();
  });

  it('gives the same answer to USER for names that exist and names that do not', async function () {
    const a = await control.command(`USER ${USER}`);
    const b = await control.command('USER nobody-here');
    expect(a.code).to.equal(b.code);
    expect(a.text).to.equal(b.text);
  });

  it('keeps paths inside the root: .., absolute paths and symlinks out', async function () {
    await control.login(USER, PASSWORD);
    await symlink(outside, join(server.root, 'escape-dir'));
    await symlink(join(outside, 'secret.txt'), join(server.root, 'escape-file'));
    expect((await control.command('CWD ../../../..')).code).to.equal(250);
    expect((await control.command('PWD')).text).to.contain('"/"');
    for (const line of [
      'SIZE ../../../../etc/passwd',
      `SIZE ${outside}/secret.txt`,
      'CWD escape-dir',
      'SIZE escape-file',
      'SIZE escape-dir/secret.txt',
      'MDTM escape-file',
      'DELE escape-dir/secret.txt',
      'RNFR escape-dir/secret.txt',
      'MKD escape-dir/new',
    ]) {
      const reply = await control.command(line);
      expect(reply.code, line).to.equal(550);
      expect(reply.text, line).not.to.contain(outside);
      expect(reply.text, line).not.to.contain(server.root);
    }
    const pasv = await control.passive(server.host);
    expect((await control.command('RETR escape-file')).code).to.equal(550);
    pasv.socket.destroy();
    const stor = await control.passive(server.host);
    expect((await control.command('STOR escape-dir/planted.txt')).code).to.equal(550);
    stor.socket.destroy();
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).to.equal('top secret');
  });

  it('never reveals real filesystem paths in replies', async function () {
    await control.login(USER, PASSWORD);
    for (const line of [
      'CWD nope',
      'SIZE nope',
      'DELE nope',
      'RMD nope',
      'MDTM nope',
      'RNFR nope',
      'STAT nope',
      'MLST nope',
      'MKD a/b/c',
    ]) {
      const reply = await control.command(line);
      expect(reply.code, line).to.be.within(400, 599);
      expect(reply.text, line).not.to.contain(server.root);
      expect(reply.text, line).not.to.contain(tmpdir());
    }
  });

  it('refuses PORT and EPRT to another address or to a privileged port (no FTP bounce)', async function () {
    await control.login(USER, PASSWORD);
    const other = await control.command('PORT 127,0,0,2,200,10');
    expect(other.code).to.equal(501);
    expect(other.text).to.match(/own/i);
    const low = await control.command('PORT 127,0,0,1,0,21');
    expect(low.code).to.equal(501);
    expect(low.text).to.match(/1024/);
    expect((await control.command('EPRT |1|127.0.0.2|5000|')).code).to.equal(501);
    expect((await control.command('EPRT |1|127.0.0.1|80|')).code).to.equal(501);
    expect((await control.command('PORT 300,1,1,1,1,1')).code).to.equal(501);
    expect((await control.command('EPRT |9|127.0.0.1|5000|')).code).to.equal(522);
    // Nothing was set up by the refusals.
    expect((await control.command('RETR anything')).code).to.be.oneOf([425, 550]);
    await stillServes();
  });

  it('accepts a passive data connection only from the control peer', async function () {
    await control.login(USER, PASSWORD);
    await writeFile(join(server.root, 'f.txt'), 'payload');
    const reply = await control.command('PASV');
    const { port } = parsePasvReply(reply.text);
    const intruder = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    intruder.on('error', () => undefined);
    const intruderData = collect(intruder).catch(() => Buffer.alloc(0));
    await once(intruder, 'close');
    expect((await intruderData).length).to.equal(0);
    const good = connect({ host: '127.0.0.1', port });
    const data = collect(good);
    expect((await control.command('RETR f.txt')).code).to.equal(150);
    expect((await data).toString()).to.equal('payload');
    expect((await control.read()).code).to.equal(226);
  });

  it('answers over-long lines, NUL bytes, garbage and unknown commands with 5xx and keeps serving', async function () {
    await control.login(USER, PASSWORD);
    expect((await control.command('NOOP ' + 'x'.repeat(10_000))).code).to.equal(500);
    expect((await control.command('NOOP')).code).to.equal(200);
    expect((await control.command('CWD a\0b')).code).to.equal(501);
    expect((await control.command('XYZZY')).code).to.equal(500);
    expect((await control.command('\u00ff\u00fe garbage')).code).to.be.within(500, 599);
    expect((await control.command('')).code).to.equal(500);
    control.send(Buffer.from([0x01, 0x02, 0x03, 0x0d, 0x0a]));
    expect((await control.read()).code).to.be.within(500, 599);
    expect((await control.command('PWD')).code).to.equal(257);
    await stillServes();
  });

  it('reads commands split into pieces and several in one packet', async function () {
    const line = `USER ${USER}\r\nPASS ${PASSWORD}\r\nPWD\r\n`;
    for (const ch of line.slice(0, 9)) control.send(ch);
    control.send(line.slice(9));
    expect((await control.read()).code).to.equal(331);
    expect((await control.read()).code).to.equal(230);
    expect((await control.read()).code).to.equal(257);
    control.send('NOOP\r\nNOOP\r\nSYST\r\n');
    expect((await control.read()).code).to.equal(200);
    expect((await control.read()).code).to.equal(200);
    expect((await control.read()).code).to.equal(215);
  });

  it('keeps arguments byte-exact: quotes, leading dashes and double spaces', async function () {
    await control.login(USER, PASSWORD);
    for (const name of ['"quoted"', '-rf', 'two  spaces', ' leading', 'trailing ']) {
      expect((await control.command(`MKD ${name}`)).code, name).to.equal(257);
    }
    const stat = await control.command('STAT -a .');
    for (const name of ['"quoted"', '-rf', 'two  spaces', ' leading', 'trailing ']) {
      expect(
        stat.lines.some((l) => l.endsWith(` ${name}`)),
        name,
      ).to.equal(true);
    }
  });

  it('refuses connections over the limits with 421 before the greeting', async function () {
    await control.close();
    await server.close();
    server = await startServer({ options: { maxConnections: 2, maxConnectionsPerIp: 2 } });
    const a = await RawControl.connect(server.host, server.port);
    const b = await RawControl.connect(server.host, server.port);
    const c = await RawControl.connect(server.host, server.port);
    expect(a.greeting?.code).to.equal(220);
    expect(b.greeting?.code).to.equal(220);
    expect(c.greeting?.code).to.equal(421);
    await Promise.all([a.close(), b.close(), c.close()]);
    await waitFor(() => server.server.sessionCount === 0, 5000, 'sessions to close');
    control = await RawControl.connect(server.host, server.port);
    expect(control.greeting?.code).to.equal(220);
  });

  it('limits connections per IP', async function () {
    await control.close();
    await server.close();
    server = await startServer({ options: { maxConnections: 10, maxConnectionsPerIp: 1 } });
    const a = await RawControl.connect(server.host, server.port);
    const b = await RawControl.connect(server.host, server.port);
    const c = await RawControl.connect(server.host, server.port, { localAddress: '127.0.0.3' });
    expect(a.greeting?.code).to.equal(220);
    expect(b.greeting?.code).to.equal(421);
    expect(b.greeting?.text).to.match(/your address/);
    expect(c.greeting?.code).to.equal(220);
    await Promise.all([a.close(), b.close(), c.close()]);
    control = await RawControl.connect(server.host, server.port);
  });

  it('closes idle control connections with 421', async function () {
    await control.close();
    await server.close();
    server = await startServer({ options: { idleTimeoutMs: 300 } });
    control = await RawControl.connect(server.host, server.port);
    const reply = await control.read(3000);
    expect(reply.code).to.equal(421);
    await once(control.socket, 'close');
  });

  it('counts each command as activity, and a transfer longer than the idle timeout', async function () {
    await control.close();
    await server.close();
    const clock = new ManualClock();
    server = await startServer({ options: { idleTimeoutMs: 300 }, clock });
    // Larger than what the kernel buffers on loopback, so a paused reader holds the transfer up.
    const size = 64 * 1024 * 1024;
    await writeFile(join(server.root, 'big.bin'), Buffer.alloc(size));
    control = await RawControl.connect(server.host, server.port);
    await control.login(USER, PASSWORD);
    // A 421 sent while the clock moved would come before the NOOP's answer.
    for (let i = 0; i < 5; i++) {
      clock.advance(150);
      expect((await control.command('NOOP')).code).to.equal(200);
    }
    // A reader that stalls longer than the idle timeout, no command meanwhile: the session stays.
    const { port } = parsePasvReply((await control.command('PASV')).text);
    const socket = connect({ host: server.host, port });
    await once(socket, 'connect');
    expect((await control.command('RETR big.bin')).code).to.equal(150);
    clock.advance(700);
    expect((await control.command('STAT')).text).to.match(/Transfer in progress/);
    clock.advance(400);
    expect((await collect(socket)).length).to.equal(size);
    expect((await control.read()).code).to.equal(226);
    // Idle from the end of the transfer on, not from the STAT before it.
    clock.advance(299);
    expect((await control.command('NOOP')).code).to.equal(200);
    clock.advance(300);
    expect((await control.read(3000)).code).to.equal(421);
  });

  it('times out a passive data connection nobody opens with a lone 425, as vsftpd does', async function () {
    await control.close();
    await server.close();
    server = await startServer({ options: { dataTimeoutMs: 300 } });
    await writeFile(join(server.root, 'f.txt'), 'x');
    control = await RawControl.connect(server.host, server.port);
    await control.login(USER, PASSWORD);
    expect((await control.command('PASV')).code).to.equal(227);
    // 150 waits for the data connection, so the transfer's only reply is the 425.
    expect((await control.command('RETR f.txt')).code).to.equal(425);
    expect((await control.command('NOOP')).code).to.equal(200);
  });

  describe('an interrupted upload keeps the previous content', function () {
    beforeEach(async function () {
      await control.close();
      await server.close();
      server = await startServer({ options: { dataTimeoutMs: 300 } });
      await writeFile(join(server.root, 'keep.txt'), 'precious old content');
      control = await RawControl.connect(server.host, server.port);
      await control.login(USER, PASSWORD);
      expect((await control.command('TYPE I')).code).to.equal(200);
    });

    async function startUpload(): Promise<Socket> {
      const { socket } = await control.passive(server.host);
      expect((await control.command('STOR keep.txt')).code).to.equal(150);
      await new Promise<void>((resolve) => socket.write('partial new cont', () => resolve()));
      return socket;
    }

    const unchanged = async (): Promise<void> => {
      expect(await readFile(join(server.root, 'keep.txt'), 'utf8')).to.equal('precious old content');
      const names = await readdir(server.root);
      expect(
        names.filter((n) => n !== 'keep.txt'),
        'no temporary file left',
      ).to.deep.equal([]);
    };

    it('when the data connection stalls (426 after the data timeout)', async function () {
      const socket = await startUpload();
      expect((await control.read(3000)).code).to.equal(426);
      socket.destroy();
      await unchanged();
      await stillServes();
    });

    it('when the client sends ABOR (426 then 226)', async function () {
      const socket = await startUpload();
      expect((await control.command('ABOR')).code).to.equal(426);
      expect((await control.read()).code).to.equal(226);
      socket.destroy();
      await unchanged();
    });

    it('when the control connection drops', async function () {
      const socket = await startUpload();
      await control.close();
      await waitFor(() => server.server.sessionCount === 0, 5000, 'the session to end');
      socket.destroy();
      await waitFor(() => server.server.sessionCount === 0, 5000, 'the session to end');
      await unchanged();
    });
  });

  it('lists a name containing CR or LF without letting it forge a line', async function () {
    await control.login(USER, PASSWORD);
    await writeFile(join(server.root, 'evil\r\n-rw-r--r-- 1 ftp ftp 1 Jan 01 00:00 forged'), 'x');
    await writeFile(join(server.root, 'plain.txt'), 'x');
    for (const verb of ['LIST', 'MLSD', 'NLST']) {
      const { data } = await control.passive(server.host);
      expect((await control.command(verb)).code).to.equal(150);
      const text = (await data).toString();
      expect((await control.read()).code).to.equal(226);
      const lines = text.split('\r\n').filter((l) => l !== '');
      expect(
        lines.some((l) => l.endsWith(' forged') && !l.includes('evil')),
        verb,
      ).to.equal(false);
      expect(lines.length, verb).to.be.at.most(2);
    }
    await mkdir(join(server.root, 'd'));
  });
});
