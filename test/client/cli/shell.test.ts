import { expect } from 'chai';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runShell, type ShellLaunch } from '../../../src/client/cli/shell.js';
import type { DataMode } from '../../../src/client/options.js';
import { makeRandomFile, sha256File } from '../../helpers/hash.js';
import { run } from '../../helpers/process.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait.js';
import { FakeServer, pasvNaming } from '../fake-server.js';

const BIN = fileURLToPath(new URL('../../../../bin/ftpkit.js', import.meta.url));

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

interface Outcome {
  code: number;
  out: string;
  err: string;
}

interface SessionOptions {
  /** Connect to this remote directory at launch (as `ftpkit shell URL` does); none: not connected. */
  path?: string;
  mode?: DataMode;
  verbose?: boolean;
}

/** The commands each sent (with a protocol-level meaning) in verbose output, in order. */
function sentVerbs(out: string, verbs: readonly string[]): string[] {
  return out
    .split('\n')
    .filter((line) => line.startsWith('> '))
    .map((line) => line.slice(2).split(' ')[0] ?? '')
    .filter((verb) => verbs.includes(verb));
}

describe('cli/shell: runShell with piped input', function () {
  let server: TestServer;
  let home: TempDir;
  let local: TempDir;
  let remote: string;
  let testNo = 0;

  before(async function () {
    server = await startServer();
    home = await makeTempDir('shell-home');
  });

  after(async function () {
    await server.close();
    await home.remove();
  });

  beforeEach(async function () {
    local = await makeTempDir('shell-local');
    // Each test works in a remote directory of its own.
    testNo++;
    remote = join(server.root, `t${testNo}`);
    await mkdir(remote);
  });

  afterEach(async function () {
    await local.remove();
  });

  function launch(
    input: PassThrough,
    options: SessionOptions,
  ): ShellLaunch & { out: () => string; err: () => string } {
    const output = collect();
    const errorOutput = collect();
    return {
      ...(options.path === undefined
        ? {}
        : {
            target: {
              host: server.host,
              port: server.port,
              user: server.user,
              password: server.password,
              userGiven: true,
              path: options.path,
            },
          }),
      mode: options.mode ?? 'passive',
      verbose: options.verbose ?? false,
      input,
      output: output.stream,
      errorOutput: errorOutput.stream,
      env: {},
      homedir: home.path,
      out: output.text,
      err: errorOutput.text,
    };
  }

  /** Runs the lines as a piped script (the shell first moves to the test's local directory). */
  async function session(
    lines: readonly string[],
    options: SessionOptions = { path: `t${testNo}` },
  ): Promise<Outcome> {
    const input = new PassThrough();
    input.end([`lcd "${local.path}"`, ...lines].map((line) => `${line}\n`).join(''));
    const shell = launch(input, options);
    const code = await runShell(shell);
    return { code, out: shell.out(), err: shell.err() };
  }

  it('gets, puts, lists and changes directories, remote and local', async function () {
    await mkdir(join(remote, 'docs'));
    const reportHash = await makeRandomFile(join(remote, 'docs', 'report.bin'), 200_000);
    await mkdir(join(local.path, 'in'));
    const uploadHash = await makeRandomFile(join(local.path, 'in', 'upload.bin'), 150_000);

    const result = await session([
      'cd docs',
      'pwd',
      'lcd in',
      'lpwd',
      'put upload.bin',
      'put upload.bin "copy of upload.bin"',
      'ls',
      'dir',
      'lcd ..',
      'get report.bin',
      'get report.bin in/',
      'quit',
    ]);

    expect(result.err).to.equal('');
    expect(result.code).to.equal(0);
    const lines = result.out.split('\n');
    expect(lines).to.include(`/t${testNo}/docs`);
    expect(lines).to.include(join(local.path, 'in'));
    expect(lines).to.include.members(['copy of upload.bin', 'report.bin', 'upload.bin']);
    expect(lines.some((line) => /^-rw\S* +200000 .* report\.bin$/.test(line))).to.equal(true, result.out);
    expect(result.out).to.match(/^report\.bin: 200000 bytes in [\d.]+ s \(/m);
    expect(await sha256File(join(remote, 'docs', 'upload.bin'))).to.equal(uploadHash);
    expect(await sha256File(join(remote, 'docs', 'copy of upload.bin'))).to.equal(uploadHash);
    expect(await sha256File(join(local.path, 'report.bin'))).to.equal(reportHash);
    expect(await sha256File(join(local.path, 'in', 'report.bin'))).to.equal(reportHash);
  });

  it('get REMOTE - writes the file to the output, as ftp(1) does, and leaves no local file', async function () {
    await writeFile(join(remote, 'notes.txt'), 'line one\nline two\n');

    const result = await session(['get notes.txt -', 'get missing.txt -', 'pwd']);

    expect(result.out).to.include('line one\nline two\n');
    expect(result.err).to.match(/^get missing\.txt -: 550 /);
    expect(result.out).to.include(`/t${testNo}\n`);
    expect(await readdir(local.path)).to.deep.equal([]);
  });

  it('open --foreign-data-host follows a PASV reply naming another host, for that open only, as the refusal says', async function () {
    const fake = await FakeServer.start({ handlers: pasvNaming('127.0.0.2') });
    fake.files.set('f.txt', Buffer.from('from elsewhere\n'));
    try {
      const url = `ftp://u:p@${fake.host}:${fake.port}/`;
      const result = await session(
        [
          `open ${url}`,
          'get f.txt refused.txt',
          'close',
          `open --foreign-data-host ${url}`,
          'get f.txt taken.txt',
        ],
        {},
      );
      expect(result.err).to.match(
        /^get f\.txt refused\.txt: the PASV reply names 127\.0\.0\.2, not the server's address 127\.0\.0\.1; refused \(--foreign-data-host permits it\)\n$/,
      );
      expect(await readdir(local.path)).to.deep.equal(['taken.txt']);
      expect(await readFile(join(local.path, 'taken.txt'), 'utf8')).to.equal('from elsewhere\n');
      expect(result.code).to.equal(1);
    } finally {
      await fake.close();
    }
  });

  it('mget fetches the remote files a wildcard matches, and no others', async function () {
    await mkdir(join(remote, 'logs'));
    const a = await makeRandomFile(join(remote, 'logs', 'a.txt'), 3000);
    const b = await makeRandomFile(join(remote, 'logs', 'b.txt'), 5000);
    const c = await makeRandomFile(join(remote, 'logs', 'c.bin'), 100);
    await writeFile(join(remote, 'logs', '.hidden.txt'), 'hidden');
    await mkdir(join(remote, 'logs', 'dir.txt'));

    const result = await session(['mget logs/*.txt', 'mget nothing*.zip logs/c.*']);

    expect(result.err).to.match(/nothing\*\.zip: no remote files match/);
    expect(result.code).to.equal(1);
    expect(await sha256File(join(local.path, 'a.txt'))).to.equal(a);
    expect(await sha256File(join(local.path, 'b.txt'))).to.equal(b);
    // The second pattern of the line still ran after the first one failed.
    expect(await sha256File(join(local.path, 'c.bin'))).to.equal(c);
    expect((await readdir(local.path)).sort()).to.deep.equal(['a.txt', 'b.txt', 'c.bin']);
  });

  it('ls and dir list in one order, dir without marks; -F marks both', async function () {
    for (const name of ['site-up', 'site', 'site-p']) await mkdir(join(remote, name));
    await writeFile(join(remote, 'file'), 'x');

    const result = await session(['ls', 'dir', 'ls -F', 'dir -F']);

    expect(result.err).to.equal('');
    const names = result.out
      .trimEnd()
      .split('\n')
      .slice(-16)
      .map((line) => line.split(' ').at(-1));
    expect(names).to.deep.equal([
      ...['file', 'site', 'site-p', 'site-up'],
      ...['file', 'site', 'site-p', 'site-up'],
      ...['file', 'site/', 'site-p/', 'site-up/'],
      ...['file', 'site/', 'site-p/', 'site-up/'],
    ]);
  });

  it('delete of a directory says it is one and how to remove it', async function () {
    await mkdir(join(remote, 'adir'));
    const result = await session(['delete adir']);
    expect(result.err).to.match(/^delete adir: 550 .*\(adir is a directory: rmdir removes an empty one\)\n$/);
  });

  it('open without credentials only connects; the first command that needs a login tries anonymous once', async function () {
    const result = await session([`open ${server.host} ${server.port}`, 'ls', 'pwd', 'lpwd'], {
      verbose: true,
    });

    const errors = result.err.split('\n');
    // ftpkitd has no anonymous login here: the refusal is said once, and pwd is not even sent.
    expect(errors[0]).to.match(/^ls: cannot log in to 127\.0\.0\.1:\d+ as anonymous: 530 /);
    expect(errors[1]).to.equal('pwd: Not logged in. (user NAME logs in)');
    expect(errors).to.have.length(3);
    expect(sentVerbs(result.out, ['USER', 'PWD', 'EPSV', 'MLSD'])).to.deep.equal(['USER']);
    expect(result.out).to.include(`\n${local.path}\n`);
  });

  it('open of a URL with a user logs in at once and goes to its directory', async function () {
    await writeFile(join(remote, 'there.txt'), 'x');
    const url = `ftp://${server.user}:p4ss%20word@${server.host}:${server.port}/t${testNo}`;
    const result = await session([`open ${url}`, 'ls'], {});
    expect(result.err).to.equal('');
    expect(result.out).to.include('Logged in as tester.');
    expect(result.out).to.match(/^there\.txt$/m);
  });

  it('mput sends the local files a wildcard matches, and no others', async function () {
    const x1 = await makeRandomFile(join(local.path, 'x1.dat'), 4000);
    const x2 = await makeRandomFile(join(local.path, 'x2.dat'), 0);
    await writeFile(join(local.path, 'y.txt'), 'not me');
    await writeFile(join(local.path, '.h.dat'), 'hidden');
    await mkdir(join(local.path, 'd.dat'));

    const result = await session(['mput *.dat', 'ls']);

    expect(result.err).to.equal('');
    expect(result.code).to.equal(0);
    expect((await readdir(remote)).sort()).to.deep.equal(['x1.dat', 'x2.dat']);
    expect(await sha256File(join(remote, 'x1.dat'))).to.equal(x1);
    expect(await sha256File(join(remote, 'x2.dat'))).to.equal(x2);
  });

  it('switches between passive and active in the middle of a session', async function () {
    const hash = await makeRandomFile(join(remote, 'f.bin'), 50_000);

    const result = await session(
      ['get f.bin one.bin', 'passive', 'ls', 'put one.bin up.bin', 'active', 'get f.bin two.bin', 'status'],
      { path: `t${testNo}`, mode: 'active', verbose: true },
    );

    expect(result.err).to.equal('');
    expect(
      sentVerbs(result.out, ['EPSV', 'PASV', 'EPRT', 'PORT', 'MLSD', 'LIST', 'RETR', 'STOR']),
    ).to.deep.equal(['EPRT', 'RETR', 'EPSV', 'MLSD', 'EPSV', 'STOR', 'EPRT', 'RETR']);
    expect(result.out).to.match(/^Mode: active/m);
    expect(await sha256File(join(local.path, 'one.bin'))).to.equal(hash);
    expect(await sha256File(join(local.path, 'two.bin'))).to.equal(hash);
    expect(await sha256File(join(remote, 'up.bin'))).to.equal(hash);
  });

  it('ascii converts line endings, binary does not', async function () {
    const text = 'one\r\ntwo\r\nthree\n';
    await writeFile(join(remote, 'text.txt'), text);

    const result = await session(['verbose', 'ascii', 'get text.txt a.txt', 'binary', 'get text.txt b.txt']);

    expect(result.err).to.equal('');
    expect(await readFile(join(local.path, 'a.txt'), 'utf8')).to.equal('one\ntwo\nthree\n');
    expect(await readFile(join(local.path, 'b.txt'), 'utf8')).to.equal(text);
    expect(sentVerbs(result.out, ['TYPE', 'RETR'])).to.deep.equal(['TYPE', 'RETR', 'TYPE', 'RETR']);
    const types = result.out.split('\n').filter((line) => line.startsWith('> TYPE'));
    expect(types).to.deep.equal(['> TYPE A', '> TYPE I']);
  });

  it('prints each failure of a script with its command and reply code and goes on, then exits 1', async function () {
    const hash = await makeRandomFile(join(remote, 'ok.bin'), 1000);

    const result = await session([
      'get missing.txt',
      'frobnicate now',
      'get',
      'cd "unclosed',
      'get ok.bin',
      'mkdir new',
      'mkdir new',
    ]);

    const errors = result.err.split('\n');
    expect(errors[0]).to.match(/^get missing\.txt: 550 /);
    expect(errors[1]).to.match(/^\?Invalid command: frobnicate/);
    expect(errors[2]).to.equal('get: wrong number of arguments');
    expect(errors[3]).to.equal('usage: get REMOTE [LOCAL]');
    expect(errors[4]).to.equal('cd "unclosed: ?Unclosed quote');
    expect(errors[5]).to.match(/^mkdir new: 5\d\d /);
    expect(errors).to.have.length(7);
    expect(result.code).to.equal(1);
    expect(await sha256File(join(local.path, 'ok.bin'))).to.equal(hash);
  });

  it('exits 0 when every command of a script worked', async function () {
    const result = await session(['pwd', 'bye']);
    expect(result.err).to.equal('');
    expect(result.code).to.equal(0);
  });

  it('status tells the host, user, mode, type, directories and verbosity', async function () {
    const result = await session(
      [
        'status',
        `open ftp://${server.user}:p4ss%20word@${server.host}:${server.port}/t${testNo}`,
        'ascii',
        'verbose',
        'status',
      ],
      {},
    );

    const [before, after] = result.out.split('Verbose mode on.\n');
    expect(before).to.include('Not connected.');
    expect(before).to.include('Mode: passive');
    expect(before).to.include('Type: binary');
    expect(before).to.include('Verbose: off');
    expect(after).to.include(`Connected to ${server.host}:${server.port}.`);
    expect(after).to.include('TLS: off (plain FTP)');
    expect(after).to.include('Logged in as tester.');
    expect(after).to.include(`Remote directory: /t${testNo}`);
    expect(after).to.include(`Local directory: ${local.path}`);
    expect(after).to.include('Type: ascii');
    expect(after).to.include('Verbose: on');
    expect(result.err).to.equal('');
  });

  it('help lists every command and describes one', async function () {
    const result = await session(['help', 'help mget', '? rm', 'help nosuch'], {});

    for (const name of [
      'open',
      'user',
      'close',
      'ls',
      'dir',
      'cd',
      'lcd',
      'pwd',
      'get',
      'put',
      'mget',
      'mput',
    ]) {
      expect(result.out).to.match(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    for (const name of [
      'mkdir',
      'rmdir',
      'delete',
      'rename',
      'passive',
      'active',
      'binary',
      'ascii',
      'status',
    ]) {
      expect(result.out).to.match(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    expect(result.out).to.match(/^  verbose +\S/m);
    expect(result.out).to.match(/^  help +\S/m);
    expect(result.out).to.match(/^  quit +\S/m);
    expect(result.out).to.include('usage: mget PATTERN...\n');
    expect(result.out).to.include('usage: delete FILE\n');
    expect(result.err).to.include('?Invalid help command nosuch');
  });

  it('says "Not connected." until open, then works; close and open again', async function () {
    await writeFile(join(remote, 'here.txt'), 'here');
    const url = `ftp://${server.user}:p4ss%20word@${server.host}:${server.port}/t${testNo}`;

    const result = await session(
      ['ls', `open ${url}`, `open ${url}`, 'ls', 'close', 'pwd', `open ${url}`, 'ls'],
      {},
    );

    const errors = result.err.split('\n');
    expect(errors[0]).to.equal('ls: Not connected.');
    expect(errors[1]).to.match(/^open ftp:\/\/tester@[^:]+:\d+\/t\d+: Already connected to /);
    expect(errors[2]).to.equal('pwd: Not connected.');
    expect(result.out.split('\n').filter((line) => line === 'here.txt')).to.have.length(2);
    expect(result.out).to.include('Disconnected.');
  });

  it('verbose shows the exchange with the password masked', async function () {
    const result = await session(
      [
        'verbose',
        `open ftp://${server.user}:p4ss%20word@${server.host}:${server.port}/`,
        'user tester "p4ss word"',
        'pwd',
      ],
      {},
    );

    expect(result.out).to.include('> USER tester\n');
    expect(result.out.match(/^> PASS \*\*\*\*$/gm)).to.have.length(2);
    expect(result.out).to.match(/^< 230 /m);
    expect(result.out).not.to.include('p4ss');
    expect(result.err).to.equal('');
  });

  it('user without a password reads it from the next line when input is piped', async function () {
    const result = await session(
      [`open ${server.host} ${server.port}`, `user ${server.user}`, server.password, 'pwd'],
      {},
    );

    // No credentials anywhere: open only connects, and the login is user's (ftp -n scripts).
    expect(result.err).to.equal('');
    expect(result.code).to.equal(0);
    expect(result.out).to.include('Logged in as tester.');
    expect(result.out).to.match(/^\/$/m);
  });

  it('a lost connection is reported and open connects again', async function () {
    const other = await startServer();
    const input = new PassThrough();
    const shell = launch(input, {});
    const done = runShell(shell);
    let closed = false;
    try {
      input.write(`open ftp://${other.user}:p4ss%20word@${other.host}:${other.port}/\n`);
      await waitFor(() => shell.out().includes('Logged in as'), 5000, 'login');
      await other.close();
      closed = true;
      input.write('ls\n');
      await waitFor(() => shell.err().includes('Connection lost'), 5000, 'the loss reported');
      input.write(`open ftp://${server.user}:p4ss%20word@${server.host}:${server.port}/t${testNo}\npwd\n`);
    } finally {
      input.end();
      if (!closed) await other.close();
    }
    const code = await done;
    expect(shell.out()).to.include(`/t${testNo}\n`);
    expect(code).to.equal(1);
  });

  it('runs through bin/ftpkit.js with piped stdin', async function () {
    const hash = await makeRandomFile(join(remote, 'a.bin'), 10_000);
    const url = `${server.url}t${testNo}/`;

    const ok = await run(process.execPath, [BIN, 'shell', url], {
      cwd: local.path,
      input: 'ls\nget a.bin\nquit\n',
      env: { HOME: home.path, NETRC: '', FTPKIT_USER: '', FTPKIT_PASSWORD: undefined },
      timeoutMs: 15_000,
    });
    expect(ok.stderr).to.equal('');
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.match(/^a\.bin$/m);
    expect(await sha256File(join(local.path, 'a.bin'))).to.equal(hash);

    const failed = await run(process.execPath, [BIN, 'shell', url], {
      cwd: local.path,
      input: 'get nothing.bin\n',
      env: { HOME: home.path, NETRC: '', FTPKIT_USER: '', FTPKIT_PASSWORD: undefined },
      timeoutMs: 15_000,
    });
    expect(failed.stderr).to.match(/^get nothing\.bin: 550 /m);
    expect(failed.code).to.equal(1);
  });
});
