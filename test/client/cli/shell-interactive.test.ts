import { expect } from 'chai';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runShell, type ShellLaunch } from '../../../src/client/cli/shell.js';
import { makeRandomFile, sha256File } from '../../helpers/hash.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait.js';

type TtyInput = PassThrough & { isTTY: true; isRaw: boolean; setRawMode(mode: boolean): TtyInput };
type TtyOutput = PassThrough & { isTTY: true; columns: number };

/** What readline and promptHidden need of a terminal: raw mode switching. */
function ttyInput(): TtyInput {
  const stream = new PassThrough() as TtyInput;
  stream.isTTY = true;
  stream.isRaw = false;
  stream.setRawMode = (mode: boolean) => {
    stream.isRaw = mode;
    return stream;
  };
  return stream;
}

function ttyOutput(): { stream: TtyOutput; text: () => string } {
  const stream = new PassThrough() as TtyOutput;
  stream.isTTY = true;
  stream.columns = 80;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** A shell on a pretend terminal: type into it, read what it shows. */
interface Terminal {
  type(keys: string): void;
  out(): string;
  err(): string;
  /** Resolves with runShell's exit status. */
  done: Promise<number>;
  /** Waits until the shell shows its prompt, idle (a command that is still running ignores Tab). */
  prompt(): Promise<void>;
}

function startTerminal(homedir: string): Terminal {
  const input = ttyInput();
  const output = ttyOutput();
  const errorOutput = collect();
  const launch: ShellLaunch = {
    mode: 'passive',
    verbose: false,
    input,
    output: output.stream,
    errorOutput: errorOutput.stream,
    env: {},
    homedir,
  };
  return {
    type: (keys) => input.write(keys),
    out: output.text,
    err: errorOutput.text,
    done: runShell(launch),
    // readline draws the prompt as: go to column 1, clear, "ftpkit> ", go to column 9.
    prompt: () => waitFor(() => output.text().endsWith('ftpkit> \x1b[9G'), 5000, 'the prompt'),
  };
}

/**
 * A server that sends a file forever, slowly, until ABOR: a transfer that is certain to be running
 * when Ctrl-C comes. Records every command line.
 */
interface SlowServer {
  port: number;
  lines: string[];
  close(): Promise<void>;
}

async function startSlowServer(): Promise<SlowServer> {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const servers = new Set<Server>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((control) => {
    track(control);
    const reply = (text: string): void => {
      if (!control.destroyed) control.write(`${text}\r\n`);
    };
    let data: Promise<Socket> | undefined;
    let pump: NodeJS.Timeout | undefined;
    let buffer = '';
    const handle = (line: string): void => {
      lines.push(line);
      const verb = (line.split(' ')[0] ?? '').toUpperCase();
      switch (verb) {
        case 'USER':
          reply('331 Password?');
          break;
        case 'PASS':
          reply('230 In.');
          break;
        case 'PWD':
          reply('257 "/"');
          break;
        case 'TYPE':
          reply('200 OK.');
          break;
        case 'EPSV': {
          const listener = createServer();
          servers.add(listener);
          data = new Promise((resolve) => {
            listener.once('connection', (socket) => {
              track(socket);
              listener.close();
              resolve(socket);
            });
          });
          listener.listen(0, '127.0.0.1', () => {
            const address = listener.address();
            if (address !== null && typeof address === 'object') {
              reply(`229 Entering Extended Passive Mode (|||${address.port}|)`);
            }
          });
          break;
        }
        case 'RETR':
          void data?.then((socket) => {
            reply('150 Sending slowly.');
            pump = setInterval(() => socket.write(Buffer.alloc(8192, 0x61)), 10);
            socket.on('close', () => clearInterval(pump));
          });
          break;
        case 'ABOR':
          clearInterval(pump);
          void data?.then((socket) => socket.destroy());
          reply('426 Transfer aborted.');
          reply('226 ABOR done.');
          break;
        case 'QUIT':
          reply('221 Bye.');
          control.end();
          break;
        default:
          reply('502 Not here.');
      }
    };
    control.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        handle(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    });
    reply('220 Slow fake.');
  });
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  return {
    port: address.port,
    lines,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([...servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

describe('cli/shell: on a terminal', function () {
  let home: TempDir;
  let local: TempDir;

  beforeEach(async function () {
    home = await makeTempDir('shell-tty-home');
    local = await makeTempDir('shell-tty-local');
  });

  afterEach(async function () {
    await home.remove();
    await local.remove();
  });

  describe('against a server that never finishes a download', function () {
    let slow: SlowServer;

    beforeEach(async function () {
      slow = await startSlowServer();
    });

    afterEach(async function () {
      await slow.close();
    });

    it('Ctrl-C aborts the transfer with ABOR, keeps the session, and does not exit at the prompt', async function () {
      const term = startTerminal(home.path);
      await waitFor(() => term.out().includes('ftpkit> '), 5000, 'the prompt');
      term.type(`lcd "${local.path}"\r`);
      term.type(`open ftp://alice:secret@127.0.0.1:${slow.port}/\r`);
      await waitFor(() => term.out().includes('Logged in as alice.'), 5000, 'login');

      term.type('get endless.bin\r');
      // The progress bar is drawn once bytes flow.
      await waitFor(() => term.out().includes('\x1b[Kendless.bin'), 5000, 'the progress bar');
      term.type('\x03');
      await waitFor(() => term.err().includes('Interrupted.'), 5000, 'the abort');
      expect(slow.lines).to.include('ABOR');

      term.type('pwd\r');
      await waitFor(() => /\r?\n\/\r?\n/.test(term.out()), 5000, 'the remote directory');
      await term.prompt();

      // At the prompt, Ctrl-C drops what was typed; the shell stays.
      term.type('get half-typed\x03');
      await waitFor(() => term.out().includes('^C'), 5000, '^C');
      term.type('pwd\r');
      await waitFor(() => slow.lines.filter((line) => line === 'PWD').length === 2, 5000, 'a second PWD');
      expect(slow.lines.some((line) => line.includes('half-typed'))).to.equal(false);

      term.type('\x04');
      expect(await term.done).to.equal(0);
      expect(slow.lines.at(-1)).to.equal('QUIT');
      // A new history file is private: it names hosts and users.
      const history = join(home.path, '.ftpkit_history');
      expect((await stat(history)).mode & 0o077).to.equal(0);
      expect(await readFile(history, 'utf8')).to.include('get endless.bin\n');
    });

    it('asks for the password without echo, and keeps passwords out of the saved history', async function () {
      const old = Array.from({ length: 600 }, (_, i) => `lpwd ${i}`);
      await writeFile(join(home.path, '.ftpkit_history'), `${old.join('\n')}\n`);
      const term = startTerminal(home.path);
      await waitFor(() => term.out().includes('ftpkit> '), 5000, 'the prompt');
      term.type(`open ftp://alice:secret@127.0.0.1:${slow.port}/\r`);
      await waitFor(() => term.out().includes('Logged in as alice.'), 5000, 'login');

      term.type('user bob\r');
      await waitFor(() => term.out().includes('Password: '), 5000, 'the password prompt');
      term.type('hunter 2\r');
      await waitFor(() => term.out().includes('Logged in as bob.'), 5000, 'the second login');
      expect(slow.lines).to.include('PASS hunter 2');
      expect(term.out()).not.to.include('hunter');

      term.type('user carol pw-on-the-line\r');
      await waitFor(() => term.out().includes('Logged in as carol.'), 5000, 'the third login');
      term.type('quit\r');
      expect(await term.done).to.equal(0);

      const saved = (await readFile(join(home.path, '.ftpkit_history'), 'utf8')).split('\n').slice(0, -1);
      expect(saved).to.have.length(500);
      expect(saved.slice(-4)).to.deep.equal([
        `open ftp://alice@127.0.0.1:${slow.port}/`,
        'user bob',
        'user carol',
        'quit',
      ]);
      expect(saved.join('\n')).not.to.match(/secret|hunter|pw-on-the-line/);
      expect(saved[0]).to.equal('lpwd 104');
    });
  });

  describe('against ftpkitd', function () {
    let server: TestServer;

    before(async function () {
      server = await startServer();
    });

    after(async function () {
      await server.close();
    });

    it('open with no user known asks for the name and the password, as ftp(1) does', async function () {
      const term = startTerminal(home.path);
      await term.prompt();
      term.type(`open ${server.host} ${server.port}\r`);
      await waitFor(
        () => term.out().includes(`Name (${server.host}:${server.port}): `),
        5000,
        'the name prompt',
      );
      term.type(`${server.user}\r`);
      await waitFor(() => term.out().includes('Password: '), 5000, 'the password prompt');
      term.type(`${server.password}\r`);
      await waitFor(() => term.out().includes(`Logged in as ${server.user}.`), 5000, 'the login');
      expect(term.out()).not.to.include(server.password);
      term.type('pwd\r');
      await waitFor(() => /\r?\n\/\r?\n/.test(term.out()), 5000, 'the remote directory');
      term.type('quit\r');
      expect(await term.done).to.equal(0);
      expect(term.err()).to.equal('');
    });

    it('Tab completes remote names (directories only for cd) and local ones', async function () {
      const remote = join(server.root, 'complete');
      await mkdir(join(remote, 'sub'), { recursive: true });
      await writeFile(join(remote, 'song.txt'), 'not a directory');
      const hash = await makeRandomFile(join(remote, 'sub', 'payload.bin'), 20_000);
      await mkdir(join(local.path, 'landing'));

      const term = startTerminal(home.path);
      await waitFor(() => term.out().includes('ftpkit> '), 5000, 'the prompt');
      term.type(`lcd "${local.path}"\r`);
      term.type(`open ftp://${server.user}:p4ss%20word@${server.host}:${server.port}/complete\r`);
      await waitFor(() => term.out().includes('Logged in as tester.'), 5000, 'login');
      await term.prompt();
      term.type('cd s\t');
      await waitFor(() => term.out().includes('cd sub/'), 5000, 'cd completed to the directory');
      term.type('\r');
      await term.prompt();
      term.type('lcd la\t');
      await waitFor(() => term.out().includes('lcd landing/'), 5000, 'lcd completed');
      term.type('\r');
      await waitFor(() => term.out().includes('Local directory now'), 5000, 'lcd');
      await term.prompt();
      term.type('get pay\t');
      await waitFor(() => term.out().includes('load.bin'), 5000, 'get completed');
      term.type('\r');
      await waitFor(() => term.out().includes('payload.bin: 20000 bytes'), 5000, 'the download');
      term.type('quit\r');
      expect(await term.done).to.equal(0);
      expect(term.err()).to.equal('');
      expect(await sha256File(join(local.path, 'landing', 'payload.bin'))).to.equal(hash);
    });
  });
});
