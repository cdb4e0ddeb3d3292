// The ftpkit binary against an in-process ftpkitd: every one-shot verb, in passive and active
// mode, with credentials from the URL, the environment and a .netrc.
import { expect } from 'chai';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashTree, makeRandomFile, makeTree, SAMPLE_TREE, sha256File } from '../../helpers/hash.js';
import { run, type RunResult } from '../../helpers/process.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import type { ResolvedTarget } from '../../../src/client/cli/credentials.js';
import { UsageError } from '../../../src/client/cli/usage-error.js';
import { renameTarget } from '../../../src/client/cli/verbs.js';

const BIN = fileURLToPath(new URL('../../../../bin/ftpkit.js', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../../../package.json', import.meta.url));

describe('cli/verbs: renameTarget', function () {
  const target: ResolvedTarget = { host: 'h', port: 21, user: 'u', password: 'p', userGiven: true, path: '' };
  const cases: [string, string, string][] = [
    ['docs/a.txt', 'b.txt', 'docs/b.txt'],
    ['docs/a.txt', '../a.txt', 'a.txt'],
    ['docs/a.txt', '/tmp/a.txt', '/tmp/a.txt'],
    ['docs/a.txt', 'sub/', 'docs/sub/a.txt'],
    ['a.txt', 'b.txt', 'b.txt'],
    ['a.txt', '../b.txt', '../b.txt'],
    ['/abs/dir/a', 'b', '/abs/dir/b'],
    ['/a', 'b', '/b'],
    ['docs/old/', 'new', 'docs/new'],
    ['x', 'ftp://h:21/other/place', 'other/place'],
    ['x', 'ftp://H//abs/', '/abs/x'],
  ];
  for (const [from, newPath, wanted] of cases) {
    it(`${from} + ${newPath} -> ${wanted}`, function () {
      expect(renameTarget(from, newPath, target)).to.equal(wanted);
    });
  }

  it('refuses another server and an empty name', function () {
    expect(() => renameTarget('a', 'ftp://other/b', target)).to.throw(UsageError, /between servers/);
    expect(() => renameTarget('a', 'ftp://h:2121/b', target)).to.throw(UsageError, /between servers/);
    expect(() => renameTarget('a', '', target)).to.throw(UsageError, /new name/);
    expect(() => renameTarget('a', 'ftp://h/', target)).to.throw(UsageError, /no path/);
  });
});

describe('ftpkit one-shot verbs (the binary)', function () {
  let srv: TestServer;
  let home: TempDir;
  let work: TempDir;

  /** The test's own environment never leaks credentials into a run. */
  function ftpkit(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<RunResult> {
    return run(process.execPath, [BIN, ...args], {
      cwd: work.path,
      env: { HOME: home.path, NETRC: undefined, FTPKIT_USER: undefined, FTPKIT_PASSWORD: undefined, ...env },
      ...(input === undefined ? {} : { input }),
    });
  }
  /** An ftp:// URL with the test user's credentials and this path after the host. */
  const url = (path: string): string => `${srv.url}${path}`;
  /** The same without credentials. */
  const bare = (path: string): string => `ftp://${srv.host}:${srv.port}/${path}`;

  function ok(result: RunResult): RunResult {
    expect(result.code, `exit code; stderr: ${result.stderr}`).to.equal(0);
    return result;
  }

  before(async function () {
    srv = await startServer();
    home = await makeTempDir('cli-home');
    work = await makeTempDir('cli-work');
  });
  after(async function () {
    await srv.close();
    await home.remove();
    await work.remove();
  });

  for (const mode of ['passive', 'active'] as const) {
    describe(`${mode} mode`, function () {
      const flag = `--${mode}`;

      it('put, ls and get move a file byte-exact', async function () {
        const local = join(work.path, `up-${mode}.bin`);
        const hash = await makeRandomFile(local, 300_000);
        const put = ok(await ftpkit(['put', flag, local, url('')]));
        expect(put.stderr).to.match(
          new RegExp(`^up-${mode}\\.bin: 300000 bytes in [\\d.]+ s \\(.+/s\\)\\n$`),
        );
        expect(await sha256File(join(srv.root, `up-${mode}.bin`))).to.equal(hash);

        const listed = ok(await ftpkit(['ls', flag, url('')]));
        expect(listed.stdout).to.match(
          new RegExp(`^-[-rwx]{9} +300000 \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d up-${mode}\\.bin$`, 'm'),
        );

        const copy = join(work.path, `down-${mode}.bin`);
        ok(await ftpkit(['get', flag, url(`up-${mode}.bin`), '-o', copy]));
        expect(await sha256File(copy)).to.equal(hash);
      });

      it('get -o - writes to stdout and put - reads stdin', async function () {
        const text = `line one\nline two ${mode}\n`;
        ok(await ftpkit(['put', flag, '-q', '-', url(`stdin-${mode}.txt`)], {}, text));
        expect(await readFile(join(srv.root, `stdin-${mode}.txt`), 'utf8')).to.equal(text);
        const got = ok(await ftpkit(['get', flag, '-q', url(`stdin-${mode}.txt`), '-o', '-']));
        expect(got.stdout).to.equal(text);
        expect(got.stderr).to.equal('');
      });
    });
  }

  it('get saves under the remote name in the current directory by default', async function () {
    const hash = await makeRandomFile(join(srv.root, 'default-name.bin'), 10_000);
    ok(await ftpkit(['get', url('default-name.bin')]));
    expect(await sha256File(join(work.path, 'default-name.bin'))).to.equal(hash);
  });

  it('get -o DIR saves into that directory', async function () {
    await writeFile(join(srv.root, 'into-dir.txt'), 'into a dir\n');
    await mkdir(join(work.path, 'target-dir'));
    ok(await ftpkit(['get', url('into-dir.txt'), '-o', 'target-dir']));
    expect(await readFile(join(work.path, 'target-dir', 'into-dir.txt'), 'utf8')).to.equal('into a dir\n');
  });

  it('get -o DIR/ makes the directory first, as mkdir -p would, and saves into it', async function () {
    await writeFile(join(srv.root, 'into-new-dir.txt'), 'into a new dir\n');
    ok(await ftpkit(['get', url('into-new-dir.txt'), '-o', 'made/here/']));
    expect(await readFile(join(work.path, 'made', 'here', 'into-new-dir.txt'), 'utf8')).to.equal(
      'into a new dir\n',
    );
    expect(await readdir(join(work.path, 'made'))).to.deep.equal(['here']);
  });

  it('get -o into a missing directory fails in one line that names it, and writes nothing', async function () {
    await writeFile(join(srv.root, 'nowhere.txt'), 'x');
    const result = await ftpkit(['get', url('nowhere.txt'), '-o', 'missing/dir/f.txt']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      `ftpkit: cannot write missing/dir/f.txt: no directory ${join(work.path, 'missing', 'dir')} (a LOCAL ending in "/" is made)\n`,
    );
    expect(await readdir(work.path)).to.not.include('missing');
  });

  it('get --resume fetches only the missing tail', async function () {
    const hash = await makeRandomFile(join(srv.root, 'resume.bin'), 200_000);
    const full = await readFile(join(srv.root, 'resume.bin'));
    const local = join(work.path, 'resume.bin');
    await writeFile(local, full.subarray(0, 123_456));
    const result = ok(await ftpkit(['get', '--resume', '-v', url('resume.bin'), '-o', local]));
    expect(result.stderr).to.match(/^> REST 123456$/m);
    expect(result.stderr).to.match(/resume\.bin: 76544 bytes in/);
    expect(await sha256File(local)).to.equal(hash);
  });

  it('put into a URL ending in / keeps the local name; put --resume sends the rest', async function () {
    await mkdir(join(srv.root, 'updir'));
    const local = join(work.path, 'resumed-up.bin');
    const hash = await makeRandomFile(local, 150_000);
    await writeFile(join(srv.root, 'updir', 'resumed-up.bin'), (await readFile(local)).subarray(0, 50_000));
    const result = ok(await ftpkit(['put', '--resume', '-v', local, url('updir/')]));
    expect(result.stderr).to.match(/^> APPE updir\/resumed-up\.bin$/m);
    expect(await sha256File(join(srv.root, 'updir', 'resumed-up.bin'))).to.equal(hash);
  });

  it('mkdir creates parents, mv renames relative to the directory, rm and rm -r delete', async function () {
    ok(await ftpkit(['mkdir', url('a/b/c')]));
    expect((await stat(join(srv.root, 'a', 'b', 'c'))).isDirectory()).to.equal(true);
    await writeFile(join(srv.root, 'a', 'b', 'old.txt'), 'moving\n');
    ok(await ftpkit(['mv', url('a/b/old.txt'), 'new.txt']));
    expect(await readFile(join(srv.root, 'a', 'b', 'new.txt'), 'utf8')).to.equal('moving\n');
    ok(await ftpkit(['mv', url('a/b/new.txt'), '../up.txt']));
    expect(await readFile(join(srv.root, 'a', 'up.txt'), 'utf8')).to.equal('moving\n');
    ok(await ftpkit(['rm', url('a/up.txt')]));
    expect(await readdir(join(srv.root, 'a'))).to.deep.equal(['b']);
    await writeFile(join(srv.root, 'a', 'b', 'c', 'deep.txt'), 'x');
    const refused = await ftpkit(['rm', url('a')]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(
      /^ftpkit: DELE a: 550 .*\(a is a directory: rm -r removes a directory and everything in it\)\n$/,
    );
    ok(await ftpkit(['rm', '-r', url('a')]));
    expect(await readdir(srv.root)).to.not.include('a');
  });

  it('reads absolute paths after a double slash', async function () {
    await writeFile(join(srv.root, 'abs.txt'), 'absolute\n');
    const got = ok(await ftpkit(['get', '-q', url('/abs.txt'), '-o', '-']));
    expect(got.stdout).to.equal('absolute\n');
  });

  it('fails with the 550 reply for a missing file and leaves no local file', async function () {
    const result = await ftpkit(['get', url('no-such-file.txt')]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^ftpkit: RETR no-such-file\.txt: 550 .+/m);
    expect(await readdir(work.path)).to.not.include('no-such-file.txt');
    const rm = await ftpkit(['rm', url('no-such-file.txt')]);
    expect(rm.code).to.equal(1);
    expect(rm.stderr).to.include('550');
  });

  it('fails with the 530 reply for a wrong password', async function () {
    const result = await ftpkit(['ls', `ftp://${srv.user}:wrong@${srv.host}:${srv.port}/`]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/cannot log in to 127\.0\.0\.1:\d+ as tester: 530 /);
  });

  it('fails clearly when nothing listens', async function () {
    const closed = await startServer();
    const port = closed.port;
    await closed.close();
    const result = await ftpkit(['ls', `ftp://127.0.0.1:${port}/`]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('takes credentials from FTPKIT_USER and FTPKIT_PASSWORD', async function () {
    await writeFile(join(srv.root, 'env.txt'), 'from env\n');
    const result = ok(
      await ftpkit(['get', '-q', bare('env.txt'), '-o', '-'], {
        FTPKIT_USER: srv.user,
        FTPKIT_PASSWORD: srv.password,
      }),
    );
    expect(result.stdout).to.equal('from env\n');
  });

  it('takes credentials from ~/.netrc, quoted password and all', async function () {
    const netrc = join(home.path, '.netrc');
    await writeFile(
      netrc,
      `machine other.example login x password y\nmachine ${srv.host}\n  login ${srv.user}\n  password "${srv.password}"\n`,
    );
    await chmod(netrc, 0o600);
    await writeFile(join(srv.root, 'netrc.txt'), 'from netrc\n');
    const result = ok(await ftpkit(['get', bare('netrc.txt'), '-o', '-']));
    expect(result.stdout).to.equal('from netrc\n');
    expect(result.stderr).to.not.include('warning');

    await chmod(netrc, 0o644);
    const exposed = ok(await ftpkit(['ls', bare('')]));
    expect(exposed.stderr).to.match(/warning: .*\.netrc holds a password and other users can read/);
  });

  it('--verbose shows the exchange with the password masked', async function () {
    const result = ok(await ftpkit(['ls', '-v', '--active', url('')]));
    expect(result.stderr).to.match(/^< 220/m);
    expect(result.stderr).to.match(/^> USER tester$/m);
    expect(result.stderr).to.match(/^> PASS \*+$/m);
    expect(result.stderr).to.match(/^> (EPRT|PORT) /m);
    expect(result.stderr).to.not.include('p4ss');
  });

  it('--ascii transfers in TYPE A', async function () {
    await writeFile(join(srv.root, 'text.txt'), 'a\nb\n');
    const result = ok(await ftpkit(['get', '--ascii', '-v', url('text.txt'), '-o', '-']));
    expect(result.stderr).to.match(/^> TYPE A$/m);
    expect(result.stdout).to.equal('a\nb\n');
  });

  it('--quiet prints nothing on success', async function () {
    await writeFile(join(srv.root, 'quiet.txt'), 'q');
    const result = ok(await ftpkit(['get', '--quiet', url('quiet.txt'), '-o', join(work.path, 'quiet.txt')]));
    expect(result.stderr).to.equal('');
  });

  it('exits 2 with a message for usage errors', async function () {
    for (const args of [
      ['get'],
      ['get', 'http://h/x'],
      ['ls', '--bogus', url('')],
      ['frobnicate'],
      ['ls', '-r', url('')],
    ]) {
      const result = await ftpkit(args);
      expect(result.code, args.join(' ')).to.equal(2);
      expect(result.stderr, args.join(' ')).to.match(/^ftpkit: /);
    }
  });

  it('names an unknown flag in one line, then the usage line', async function () {
    const result = await ftpkit(['ls', '--bogus', url('')]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.equal(
      'ftpkit: unknown option --bogus\nUsage: ftpkit ls [-F] URL  (ftpkit help ls for more)\n',
    );
    const general = await ftpkit(['--bogus']);
    expect(general.stderr).to.equal(
      'ftpkit: unknown option --bogus\nUsage: ftpkit COMMAND [FLAGS] ARGS...  (ftpkit --help lists the commands)\n',
    );
  });

  it('ls shows no mark after a directory name unless -F', async function () {
    await mkdir(join(srv.root, 'marks', 'sub'), { recursive: true });
    await writeFile(join(srv.root, 'marks', 'file.txt'), 'x');
    const plain = ok(await ftpkit(['ls', url('marks/')]));
    expect(
      plain.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split(' ').at(-1)),
    ).to.deep.equal(['file.txt', 'sub']);
    const marked = ok(await ftpkit(['ls', '-F', url('marks/')]));
    expect(
      marked.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split(' ').at(-1)),
    ).to.deep.equal(['file.txt', 'sub/']);
  });

  it('prints help, per-verb help and the version', async function () {
    const help = ok(await ftpkit(['--help']));
    expect(help.stdout).to.include('relative to the login directory');
    expect(help.stdout).to.include('FTPKIT_USER');
    const getHelp = ok(await ftpkit(['help', 'get']));
    expect(getHelp.stdout).to.match(/^Usage: ftpkit get URL/);
    const { version } = JSON.parse(await readFile(PACKAGE, 'utf8')) as { version: string };
    expect(ok(await ftpkit(['--version'])).stdout).to.equal(`ftpkit ${version}\n`);
  });

  it('opens the shell at a URL given instead of a command', async function () {
    await mkdir(join(srv.root, 'shell-start'));
    const result = ok(await ftpkit([url('shell-start/')], {}, 'pwd\nquit\n'));
    expect(result.stdout).to.match(/^\/shell-start$/m);
  });

  it('works over IPv6', async function () {
    let v6: TestServer;
    try {
      v6 = await startServer({ host: '::1' });
    } catch {
      this.skip();
    }
    try {
      await writeFile(join(v6.root, 'six.txt'), 'over v6\n');
      for (const mode of ['--passive', '--active']) {
        const result = ok(await ftpkit(['get', '-q', mode, `${v6.url}six.txt`, '-o', '-']));
        expect(result.stdout).to.equal('over v6\n');
      }
    } finally {
      await v6.close();
    }
  });

  describe('mirror', function () {
    before(async function () {
      await makeTree(join(srv.root, 'tree'), SAMPLE_TREE);
    });

    it('copies a remote tree down, then skips what is up to date', async function () {
      const first = ok(await ftpkit(['mirror', '--parallel', '3', url('tree/'), 'down-tree']));
      expect(await hashTree(join(work.path, 'down-tree'))).to.deep.equal(
        await hashTree(join(srv.root, 'tree')),
      );
      expect(first.stderr).to.match(/^nested\/random\.bin: 70000 bytes$/m);
      expect(first.stderr).to.match(/^mirror: 7 copied, 0 skipped, 0 failed, \d+ bytes$/m);
      const again = ok(await ftpkit(['mirror', url('tree'), 'down-tree']));
      expect(again.stderr).to.match(/^mirror: 0 copied, 7 skipped, 0 failed, 0 bytes$/m);
    });

    it('copies a local tree up with --reverse in active mode, honouring --exclude', async function () {
      await makeTree(join(work.path, 'up-tree'), SAMPLE_TREE);
      const result = ok(
        await ftpkit([
          'mirror',
          '--reverse',
          '--active',
          '-q',
          '--exclude',
          '*.bin',
          'up-tree',
          url('uploaded'),
        ]),
      );
      expect(result.stderr).to.equal('');
      const remote = await hashTree(join(srv.root, 'uploaded'));
      const local = await hashTree(join(work.path, 'up-tree'));
      const wanted = Object.fromEntries(Object.entries(local).filter(([path]) => !path.endsWith('.bin')));
      expect(remote).to.deep.equal(wanted);
    });

    it('exits 1 when the remote directory does not exist', async function () {
      const result = await ftpkit(['mirror', url('no-such-dir/'), 'nowhere']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('550');
    });
  });
});
