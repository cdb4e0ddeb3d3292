import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRandomFile, sha256File } from '../../helpers/hash.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../../../bin/ftpkit.js', import.meta.url));

/** util-linux `script` gives the child a real pseudo-terminal; its stdin is what we type. */
function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

describe('cli/shell: through a real pseudo-terminal', function () {
  // Unset when the suite is skipped (no `script`).
  let server: TestServer | undefined;
  let home: TempDir;
  let local: TempDir;
  let child: ChildProcess | undefined;

  before(async function () {
    if (!hasScript()) this.skip();
    server = await startServer();
  });

  after(async function () {
    await server?.close();
  });

  beforeEach(async function () {
    home = await makeTempDir('shell-pty-home');
    local = await makeTempDir('shell-pty-local');
  });

  afterEach(async function () {
    // A failed test must not leave the shell (and its terminal) behind.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    child = undefined;
    await home.remove();
    await local.remove();
  });

  it('shows the prompt, completes a remote name with Tab, downloads it and quits', async function () {
    if (server === undefined) throw new Error('no server');
    const hash = await makeRandomFile(join(server.root, 'payload.bin'), 30_000);
    await makeRandomFile(join(server.root, 'other.bin'), 10);
    const command = `${shellQuote(process.execPath)} ${shellQuote(BIN)} shell ${shellQuote(server.url)}`;
    const shell = spawn('script', ['-q', '-c', command, '/dev/null'], {
      cwd: local.path,
      // Not TERM=dumb, where readline turns completion off.
      env: { ...process.env, HOME: home.path, NETRC: '', FTPKIT_USER: '', TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child = shell;
    let screen = '';
    shell.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    shell.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => shell.once('exit', (code) => resolve(code)));
    const see = async (pattern: RegExp, what: string): Promise<void> => {
      try {
        await waitFor(() => pattern.test(screen), 10_000, what);
      } catch (error) {
        throw new Error(`${(error as Error).message}; the terminal shows ${JSON.stringify(screen)}`);
      }
    };

    await see(/Logged in as tester\.[\s\S]*ftpkit> /, 'the prompt');
    shell.stdin.write('get pa\t');
    await see(/get payload\.bin/, 'the completed name');
    shell.stdin.write('\r');
    await see(/payload\.bin: 30000 bytes in/, 'the finished download');
    shell.stdin.write('quit\r');

    expect(await exited).to.equal(0);
    expect(await sha256File(join(local.path, 'payload.bin'))).to.equal(hash);
    expect(await readFile(join(home.path, '.ftpkit_history'), 'utf8')).to.equal('get payload.bin \nquit\n');
  });
});
