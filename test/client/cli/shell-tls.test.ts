// The shell of the real `ftpkit` binary over FTPS, driven with piped commands as a script would:
// `open --tls`, `open ftps://`, the command line's --tls/--ca/--insecure for every `open`, what
// `status` says about TLS, and a certificate that does not verify failing `open` with one line
// while the shell goes on. The server is ftpkitd at its defaults with a certificate: TLS required
// for the login and the data, each data connection resuming its control connection's session.
import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTlsCredentials } from '../../../src/server/tls/credentials.js';
import {
  makeTestCertificates,
  type CertificateFiles,
  type TestCertificates,
} from '../../helpers/certificates.js';
import { makeRandomFile, sha256File } from '../../helpers/hash.js';
import { run, type RunResult } from '../../helpers/process.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

const BIN = fileURLToPath(new URL('../../../../bin/ftpkit.js', import.meta.url));

const EXPLICIT_STATUS =
  /^TLS: TLSv1\.[23], explicit FTPS \(AUTH TLS\); data connections protected \(PROT P\)$/m;
const IMPLICIT_STATUS = /^TLS: TLSv1\.[23], implicit FTPS; data connections protected \(PROT P\)$/m;

describe('cli/shell over FTPS: the ftpkit binary with piped commands against ftpkitd', function () {
  let certs: TestCertificates;
  let home: TempDir;
  let work: TempDir;
  /** Signed by the test CA, explicit FTPS on its port and implicit on another. */
  let trusted: TestServer;
  let selfSigned: TestServer;
  let payloadHash = '';

  async function serve(cert: CertificateFiles): Promise<TestServer> {
    return startServer({
      tls: await loadTlsCredentials(cert.certFile, cert.keyFile),
      options: { implicitTlsPort: 0 },
    });
  }

  /** `scheme://tester:password@host:port/` for the server's explicit or implicit port. */
  function url(server: TestServer, scheme: 'ftp' | 'ftps' = 'ftp'): string {
    const port = scheme === 'ftps' ? server.server.implicitTlsAddress()?.port : server.port;
    return `${scheme}://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${port}/`;
  }

  function shell(args: string[], lines: string[]): Promise<RunResult> {
    return run(process.execPath, [BIN, 'shell', ...args], {
      cwd: work.path,
      input: lines.map((line) => `${line}\n`).join(''),
      env: { HOME: home.path, NETRC: '', FTPKIT_USER: '', FTPKIT_PASSWORD: undefined },
      timeoutMs: 30_000,
    });
  }

  before(async function () {
    certs = await makeTestCertificates();
    home = await makeTempDir('shell-tls-home');
    work = await makeTempDir('shell-tls-work');
    payloadHash = await makeRandomFile(join(work.path, 'payload.bin'), 300_017);
    trusted = await serve(certs.valid);
    selfSigned = await serve(certs.selfSigned);
  });

  after(async function () {
    await trusted.close();
    await selfSigned.close();
    await certs.remove();
    await home.remove();
    await work.remove();
  });

  it('open --tls and open ftps:// transfer byte-exact in both modes; status shows the TLS', async function () {
    const result = await shell(
      ['--ca', certs.caFile],
      [
        `open --tls ${url(trusted)}`,
        'status',
        'put payload.bin explicit.bin',
        'get explicit.bin back-explicit.bin',
        'close',
        `open ftps://${trusted.host}:${trusted.server.implicitTlsAddress()?.port}`,
        `user ${trusted.user} "${trusted.password}"`,
        'status',
        'active',
        'put payload.bin implicit.bin',
        'get implicit.bin back-implicit.bin',
        'quit',
      ],
    );
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
    const [explicit, implicit] = result.stdout.split('Disconnected.\n');
    expect(explicit).to.match(EXPLICIT_STATUS);
    expect(implicit).to.match(IMPLICIT_STATUS);
    for (const name of ['explicit.bin', 'implicit.bin']) {
      expect(await sha256File(join(trusted.root, name))).to.equal(payloadHash);
      expect(await sha256File(join(work.path, `back-${name}`))).to.equal(payloadHash);
    }
  });

  it('the command line --tls makes every open explicit FTPS, the launch URL first', async function () {
    const result = await shell(
      ['--tls', '--ca', certs.caFile, url(trusted)],
      [
        'status',
        'close',
        `open ${trusted.host} ${trusted.port}`,
        `user ${trusted.user} "${trusted.password}"`,
        'ls',
        'status',
      ],
    );
    expect(result.stderr).to.equal('');
    expect(result.code).to.equal(0);
    const [first, second] = result.stdout.split('Disconnected.\n');
    expect(first).to.match(EXPLICIT_STATUS);
    expect(second).to.match(EXPLICIT_STATUS);
    expect(second).to.match(/^payload\.bin$|^explicit\.bin$/m);
  });

  it('a certificate that does not verify fails open with one line, and the shell goes on', async function () {
    const where = `${selfSigned.host}:${selfSigned.port}`;
    const result = await shell(
      [],
      [
        `open --tls ${url(selfSigned)}`,
        'status',
        `open --tls --ca "${certs.caFile}" ${url(trusted)}`,
        'status',
        'close',
        `open --tls --insecure ${url(selfSigned)}`,
        'status',
        'put payload.bin insecure.bin',
      ],
    );
    const errors = result.stderr.trim().split('\n');
    expect(errors, result.stderr).to.have.lengthOf(1);
    expect(errors[0]).to.equal(
      `open --tls ftp://${selfSigned.user}@${where}/: cannot connect to ${where}: the TLS certificate ` +
        `of ${selfSigned.host} is self-signed (no trusted authority vouches for it); ` +
        '--ca FILE trusts it, --insecure skips the check',
    );
    const parts = result.stdout.split('Disconnected.\n');
    expect(parts[0]).to.match(/^Not connected\.$/m);
    expect(parts[0]).to.match(EXPLICIT_STATUS);
    expect(parts[1]).to.match(
      /^TLS: TLSv1\.[23], explicit FTPS \(AUTH TLS\), certificate not checked \(--insecure\); data connections protected \(PROT P\)$/m,
    );
    expect(await sha256File(join(selfSigned.root, 'insecure.bin'))).to.equal(payloadHash);
    expect(result.code).to.equal(1);
  });

  it('says in one line what is wrong with --ca or --insecure, and plain FTP shows as such', async function () {
    const result = await shell(
      [],
      [
        `open --insecure ${url(trusted)}`,
        `open --tls --ca missing.pem ${url(trusted)}`,
        `open --tls --ca ${url(trusted)}`,
        `open --sftp ${url(trusted)}`,
        `open ${url(trusted)}`,
        'status',
      ],
    );
    expect(result.stderr.trim().split('\n')).to.deep.equal([
      `open --insecure ftp://tester@${trusted.host}:${trusted.port}/: --insecure needs --tls or an ftps:// URL`,
      `open --tls --ca missing.pem ftp://tester@${trusted.host}:${trusted.port}/: cannot read the --ca file missing.pem: no such file`,
      'open: wrong number of arguments',
      'usage: open [--tls] [--ca FILE] [--insecure] [--foreign-data-host] HOST [PORT] | URL',
      'open: unknown option --sftp',
      'usage: open [--tls] [--ca FILE] [--insecure] [--foreign-data-host] HOST [PORT] | URL',
      // ftpkitd requires TLS for the login (its default once it has a certificate).
      `open ftp://tester@${trusted.host}:${trusted.port}/: cannot log in to ${trusted.host}:${trusted.port} as tester: 530 TLS is required on this server: send AUTH TLS before USER.`,
    ]);
    expect(result.stdout).to.match(/^TLS: off \(plain FTP\)$/m);
    expect(result.code).to.equal(1);
  });

  it('a --ca file on the command line that cannot be read stops the shell before it starts', async function () {
    const result = await shell(['--ca', 'missing.pem'], ['status']);
    expect(result.stderr).to.equal('ftpkit: cannot read the --ca file missing.pem: no such file\n');
    expect(result.stdout).to.equal('');
    expect(result.code).to.equal(1);
  });
});
