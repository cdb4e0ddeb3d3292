// main() in-process, with its terminal faked: the progress bar, the password prompt and Ctrl-C,
// which a test cannot reach through a spawned binary's pipes; and Ctrl-C through a real signal.
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { once } from 'node:events';
import { readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main, type CliIo } from '../../../src/client/cli/main.js';
import { startProcess } from '../../helpers/process.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait.js';
import { FakeServer, pasvNaming } from '../fake-server.js';

const BIN = fileURLToPath(new URL('../../../../bin/ftpkit.js', import.meta.url));

/** A writable that records what it gets and can wait for a pattern to show up in it. */
class Capture extends PassThrough {
  isTTY: boolean;
  columns = 80;
  text = '';
  private readonly waiters: { pattern: RegExp; resolve: () => void }[] = [];

  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
    this.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      for (const waiter of [...this.waiters]) {
        if (waiter.pattern.test(this.text)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  }

  waitFor(pattern: RegExp): Promise<void> {
    if (pattern.test(this.text)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }
}

/** stdin as a terminal would be: isTTY and a raw mode switch. */
class FakeTty extends PassThrough {
  isTTY = true;
  isRaw = false;
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    return this;
  }
}

describe('ftpkit main() in-process', function () {
  let srv: TestServer;
  let home: TempDir;
  let work: TempDir;

  function io(parts: Partial<CliIo>): Partial<CliIo> {
    return {
      stdout: new Capture(),
      stderr: new Capture(),
      env: {},
      homedir: home.path,
      cwd: work.path,
      onInterrupt: () => () => undefined,
      ...parts,
    };
  }

  before(async function () {
    srv = await startServer();
    home = await makeTempDir('cli-main-home');
    work = await makeTempDir('cli-main-work');
  });
  after(async function () {
    await srv.close();
    await home.remove();
    await work.remove();
  });

  it('draws a progress bar in place on a terminal, then the summary', async function () {
    const stderr = new Capture(true);
    let step = 0;
    // The second chunk is only given once the bar for the first is on screen: no timing guesses.
    const source = new Readable({
      read() {
        step++;
        if (step === 1) this.push(Buffer.alloc(64 * 1024, 1));
        else if (step === 2)
          void stderr.waitFor(/\r\x1b\[K/).then(() => this.push(Buffer.alloc(64 * 1024, 2)));
        else this.push(null);
      },
    });
    const code = await main(['put', '-', `${srv.url}bar.bin`], io({ stdin: source, stderr }));
    expect(code, stderr.text).to.equal(0);
    expect(stderr.text).to.match(/^\r\x1b\[Kbar\.bin +64\.0 KiB  .+\/s/);
    expect(stderr.text).to.match(/\r\x1b\[Kbar\.bin: 131072 bytes in [\d.]+ s \(.+\/s\)\n$/);
  });

  it('asks for the password without echo when stdin is a terminal', async function () {
    await writeFile(join(srv.root, 'prompted.txt'), 'after the prompt\n');
    const stdin = new FakeTty();
    const stderr = new Capture();
    const stdout = new Capture();
    void stderr
      .waitFor(/Password for tester@127\.0\.0\.1:\d+: $/)
      .then(() => stdin.write(`${srv.password}\r`));
    const url = `ftp://${srv.user}@${srv.host}:${srv.port}/prompted.txt`;
    const code = await main(['get', '-q', url, '-o', '-'], io({ stdin, stdout, stderr }));
    expect(code, stderr.text).to.equal(0);
    expect(stdout.text).to.equal('after the prompt\n');
    expect(stderr.text).to.not.include(srv.password);
    expect(stdin.isRaw).to.equal(false);
  });

  it('Ctrl-C at the password prompt exits 130', async function () {
    const stdin = new FakeTty();
    const stderr = new Capture();
    void stderr.waitFor(/Password for/).then(() => stdin.write('\u0003'));
    const code = await main(['ls', `ftp://${srv.user}@${srv.host}:${srv.port}/`], io({ stdin, stderr }));
    expect(code).to.equal(130);
  });

  it('Ctrl-C during a transfer sends ABOR and exits 130; the upload does not land', async function () {
    const stderr = new Capture();
    let interrupt: () => void = () => undefined;
    const stdin = new PassThrough();
    stdin.write('the beginning of something that never ends');
    void stderr.waitFor(/^< 150/m).then(() => interrupt());
    const code = await main(
      ['put', '-v', '-', `${srv.url}interrupted.bin`],
      io({
        stdin,
        stderr,
        onInterrupt: (handler) => {
          interrupt = handler;
          return () => undefined;
        },
      }),
    );
    stdin.destroy();
    expect(code, stderr.text).to.equal(130);
    expect(stderr.text).to.match(/^> ABOR$/m);
    expect(stderr.text).to.match(/^ftpkit: interrupted$/m);
    expect(await readdir(srv.root)).to.not.include('interrupted.bin');
  });

  it('the binary dies of SIGINT (status 130 in a shell) on Ctrl-C during a transfer', async function () {
    const child = await startProcess(process.execPath, [BIN, 'put', '-v', '-', `${srv.url}sigint.bin`], {
      env: { HOME: home.path, NETRC: undefined, FTPKIT_USER: undefined, FTPKIT_PASSWORD: undefined },
      input: 'some bytes, and stdin stays open',
    });
    try {
      await child.waitForLine(/^< 150/, { stream: 'stderr' });
      process.kill(child.pid, 'SIGINT');
      const exit = await child.exited;
      // Re-raised once the ABOR is done, so that a shell loop running it stops too.
      expect(exit.signal, child.stderr()).to.equal('SIGINT');
      expect(child.stderr()).to.match(/^> ABOR$/m);
    } finally {
      await child.stop();
    }
    expect(await readdir(srv.root)).to.not.include('sigint.bin');
  });

  /**
   * Runs `ftpkit get -v` of a big file into `output` (stdout, or a path), which nothing reads,
   * presses Ctrl-C once the data flows and the output is full, and says how the process ended.
   */
  async function interruptUnreadDownload(output: string): Promise<{ signal: string | null; stderr: string }> {
    const name = `unread-${output === '-' ? 'stdout' : 'file'}.bin`;
    await writeFile(join(srv.root, name), '');
    await truncate(join(srv.root, name), 64 * 1024 * 1024);
    const child = spawn(process.execPath, [BIN, 'get', '-v', `${srv.url}${name}`, '-o', output], {
      env: { ...process.env, HOME: home.path, NETRC: '', FTPKIT_USER: '', FTPKIT_PASSWORD: '' },
      // A stdout pipe nobody reads.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await waitFor(() => /^< 150/m.test(stderr), 10_000, 'the 150');
      // Long enough to fill a pipe (64 KiB).
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGINT');
      const [, signal] = await exited;
      return { signal, stderr };
    } finally {
      child.kill('SIGKILL');
      child.stdout.destroy();
    }
  }

  it('Ctrl-C while stdout is a pipe nobody reads sends ABOR at once and ends the process', async function () {
    // The output still waiting for the pipe must not hold the process's end.
    const { signal, stderr } = await interruptUnreadDownload('-');
    expect(signal, stderr).to.equal('SIGINT');
    expect(stderr).to.match(/^> ABOR$/m);
  });

  it('Ctrl-C while writing into a pipe (-o FIFO) nobody reads stops at once: ABOR, and the process ends', async function () {
    // A download into a file is written synchronously: right for a disk's page cache, but a pipe
    // that is not read would hold the whole process, Ctrl-C included, while more data came in.
    const fifo = join(work.path, 'slow.fifo');
    execFileSync('mkfifo', [fifo]);
    // A reader that never reads: the writer's open succeeds, and its writes fill the pipe.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const { signal, stderr } = await interruptUnreadDownload(fifo);
      expect(signal, stderr).to.equal('SIGINT');
      expect(stderr).to.match(/^> ABOR$/m);
    } finally {
      closeSync(reader);
    }
  });

  it('never lets server text drive the terminal: escapes in replies are shown as "?"', async function () {
    const hostile = '\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil';
    const fake = await FakeServer.start({
      greeting: `220 hello ${hostile}\r\n`,
      handlers: { RETR: (session) => session.reply(`550 gone ${hostile}`) },
    });
    try {
      const stderr = new Capture();
      const code = await main(['get', '-v', `ftp://u:p@${fake.host}:${fake.port}/f.txt`], io({ stderr }));
      expect(code).to.equal(1);
      expect(stderr.text).to.match(/^< 220 hello \?\]0;pwned\?\?\[2J\?31m\?evil$/m);
      expect(stderr.text).to.match(/^ftpkit: RETR f\.txt: 550 gone \?\]0;pwned/m);
      expect(stderr.text).not.to.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    } finally {
      await fake.close();
    }
  });

  it('active mode: a data connection from another address is refused in one line naming --foreign-data-host, which takes it', async function () {
    // As a node behind a load balancer does: it connects back from an address of its own, and
    // gives up (426) when the client drops the connection.
    let refusing = true;
    const fake = await FakeServer.start({
      handlers: {
        RETR: async (session) => {
          session.reply('150 Here it comes.');
          const node = await session.connectActive('127.0.0.2');
          node.end('from the node\n');
          await once(node, 'close');
          session.reply(refusing ? '426 Connection closed; transfer aborted.' : '226 Done.');
        },
      },
    });
    fake.files.set('f.txt', Buffer.from('from the node\n'));
    try {
      const url = `ftp://u:p@${fake.host}:${fake.port}/f.txt`;
      const refused = { stdout: new Capture(), stderr: new Capture() };
      expect(await main(['get', '--active', url, '-o', '-'], io(refused))).to.equal(1);
      expect(refused.stderr.text).to.match(
        /^ftpkit: refused a data connection from 127\.0\.0\.2, not the server's address 127\.0\.0\.1 \(--foreign-data-host permits it\); then: RETR f\.txt: 4\d\d .+\n$/,
      );
      expect(refused.stdout.text).to.equal('');
      refusing = false;
      const taken = { stdout: new Capture(), stderr: new Capture() };
      const code = await main(['get', '-q', '--active', '--foreign-data-host', url, '-o', '-'], io(taken));
      expect(code, taken.stderr.text).to.equal(0);
      expect(taken.stdout.text).to.equal('from the node\n');
    } finally {
      await fake.close();
    }
  });

  it('passive mode: a PASV reply naming another host is refused in one line naming --foreign-data-host, which follows it', async function () {
    const fake = await FakeServer.start({ handlers: pasvNaming('127.0.0.2') });
    fake.files.set('f.txt', Buffer.from('from elsewhere\n'));
    try {
      const url = `ftp://u:p@${fake.host}:${fake.port}/f.txt`;
      const refused = { stdout: new Capture(), stderr: new Capture() };
      expect(await main(['get', url, '-o', '-'], io(refused))).to.equal(1);
      expect(refused.stderr.text).to.equal(
        "ftpkit: the PASV reply names 127.0.0.2, not the server's address 127.0.0.1; refused (--foreign-data-host permits it)\n",
      );
      const taken = { stdout: new Capture(), stderr: new Capture() };
      const code = await main(['get', '-q', '--foreign-data-host', url, '-o', '-'], io(taken));
      expect(code, taken.stderr.text).to.equal(0);
      expect(taken.stdout.text).to.equal('from elsewhere\n');
    } finally {
      await fake.close();
    }
  });

  it('--tls against a server without TLS says that it refused AUTH TLS, not that the login failed', async function () {
    const stderr = new Capture();
    const url = `ftp://${srv.user}:${encodeURIComponent(srv.password)}@${srv.host}:${srv.port}/`;
    expect(await main(['ls', '--tls', url], io({ stderr }))).to.equal(1);
    expect(stderr.text).to.match(
      new RegExp(
        `^ftpkit: cannot connect to ${srv.host}:${srv.port}: the server refuses TLS: AUTH TLS: 5\\d\\d .+\n$`,
      ),
    );
  });

  it('reports usage errors with status 2 before touching the network', async function () {
    const stderr = new Capture();
    expect(await main(['mv', 'ftp://127.0.0.1:1/a'], io({ stderr }))).to.equal(2);
    expect(stderr.text).to.match(/^ftpkit: mv takes 2 arguments, got 1\n/);
  });

  const nowhere = 'ftp://127.0.0.1:1';
  const preflightCases: [string[], number, RegExp][] = [
    [['get', `${nowhere}/`], 2, /get needs a URL that names a file/],
    [['get', `${nowhere}/dir/`], 2, /the URL names a directory/],
    [['get', `${nowhere}/f`, '-o', '-', '--resume'], 2, /--resume needs a local file/],
    [['put', '-', `${nowhere}/dir/`], 2, /needs a URL that names the file/],
    [['put', 'no-such-local-file', `${nowhere}/x`], 1, /no-such-local-file: no such file or directory/],
    [['get', `${nowhere}/f`, '-o', 'no/such/dir/f'], 1, /cannot write no\/such\/dir\/f: no directory /],
    [['put', '.', `${nowhere}/x`], 1, /is a directory/],
    [['rm', '-r', `${nowhere}//`], 2, /refusing to rm "\/"/],
    [['rm', `${nowhere}/a/..`], 2, /refusing to rm/],
    [['mv', `${nowhere}/a`, 'ftp://elsewhere/b'], 2, /between servers/],
    [['mkdir', nowhere], 2, /mkdir needs a URL/],
  ];
  for (const [argv, status, message] of preflightCases) {
    it(`checks "${argv.join(' ')}" before connecting`, async function () {
      const stderr = new Capture();
      expect(await main(argv, io({ stderr }))).to.equal(status);
      expect(stderr.text).to.match(message);
      expect(stderr.text).to.not.include('cannot connect');
    });
  }
});
