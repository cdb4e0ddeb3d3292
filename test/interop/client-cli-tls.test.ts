// The `ftpkit` binary over FTPS against vsftpd (TLS forced for the login and the data, session
// reuse required), as a user runs it: ftps:// for implicit, --tls for explicit, --ca to trust a
// private CA, --insecure to skip the check; a certificate that does not verify fails the command
// with one line and leaves no file on either side.
import { expect } from 'chai';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  makeTestCertificates,
  type CertificateFiles,
  type TestCertificates,
} from '../helpers/certificates.js';
import { makeRandomFile, sha256File } from '../helpers/hash.js';
import { startVsftpd, type VsftpdServer } from '../helpers/peer-servers.js';
import { requirePeer } from '../helpers/peers.js';
import { run, type RunResult } from '../helpers/process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

import { exists } from './client-helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/ftpkit.js', import.meta.url));

describe('client interop: the ftpkit binary over FTPS against vsftpd', function () {
  let certs: TestCertificates | undefined;
  let home: TempDir | undefined;
  let work: TempDir | undefined;
  const servers: { server: VsftpdServer; root: TempDir }[] = [];
  let payloadHash = '';

  function ftpkit(args: string[]): Promise<RunResult> {
    if (work === undefined || home === undefined) throw new Error('no temp dirs');
    return run(process.execPath, [BIN, ...args], {
      cwd: work.path,
      env: { HOME: home.path, NETRC: undefined, FTPKIT_USER: undefined, FTPKIT_PASSWORD: undefined },
      timeoutMs: 30_000,
    });
  }

  async function serve(mode: 'explicit' | 'implicit', cert: CertificateFiles): Promise<VsftpdServer> {
    const root = await makeTempDir('cli-tls-root');
    const server = await startVsftpd({ root: root.path, tls: { mode, ...cert } });
    servers.push({ server, root });
    await writeFile(join(root.path, 'hello.txt'), 'hello over TLS\n');
    return server;
  }

  const url = (server: VsftpdServer, path: string, scheme = 'ftp'): string =>
    `${scheme}://${server.host}:${server.port}/${path}`;
  const local = (name: string): string => join(work?.path ?? '', name);
  const onServer = (server: VsftpdServer, path: string): string => join(server.root, path);
  const caFile = (): string => certs?.caFile ?? '';

  before(async function () {
    requirePeer(this, 'vsftpd');
    certs = await makeTestCertificates();
    home = await makeTempDir('cli-tls-home');
    work = await makeTempDir('cli-tls-work');
    payloadHash = await makeRandomFile(local('payload.bin'), 1024 * 1024 + 17);
  });

  after(async function () {
    for (const { server, root } of servers.splice(0)) {
      await server.stop();
      await root.remove();
    }
    await certs?.remove();
    await home?.remove();
    await work?.remove();
  });

  describe('with a certificate the test CA signed', function () {
    let explicit: VsftpdServer;
    let implicit: VsftpdServer;

    before(async function () {
      if (certs === undefined) this.skip();
      explicit = await serve('explicit', certs.valid);
      implicit = await serve('implicit', certs.valid);
    });

    it('put and get with --tls (explicit), the flags before or after the verb, byte-exact', async function () {
      const put = await ftpkit([
        '--tls',
        '--ca',
        caFile(),
        '-q',
        'put',
        'payload.bin',
        url(explicit, 'upload/'),
      ]);
      expect(put.code, put.stderr).to.equal(0);
      expect(await sha256File(onServer(explicit, 'upload/payload.bin'))).to.equal(payloadHash);
      const get = await ftpkit([
        'get',
        url(explicit, 'upload/payload.bin'),
        '-o',
        'back.bin',
        '--tls',
        '--ca',
        caFile(),
      ]);
      expect(get.code, get.stderr).to.equal(0);
      expect(await sha256File(local('back.bin'))).to.equal(payloadHash);
    });

    it('ftps:// is implicit FTPS, in passive and active mode, byte-exact', async function () {
      for (const mode of ['--passive', '--active']) {
        const name = `implicit${mode}.bin`;
        const put = await ftpkit([
          'put',
          mode,
          '--ca',
          caFile(),
          '-q',
          'payload.bin',
          url(implicit, `upload/${name}`, 'ftps'),
        ]);
        expect(put.code, put.stderr).to.equal(0);
        expect(await sha256File(onServer(implicit, `upload/${name}`))).to.equal(payloadHash);
        const get = await ftpkit([
          'get',
          mode,
          '--ca',
          caFile(),
          '-q',
          url(implicit, `upload/${name}`, 'ftps'),
          '-o',
          name,
        ]);
        expect(get.code, get.stderr).to.equal(0);
        expect(await sha256File(local(name))).to.equal(payloadHash);
      }
    });

    it('-v shows AUTH TLS, PBSZ 0 and PROT P before the login', async function () {
      const result = await ftpkit(['ls', '-v', '--tls', '--ca', caFile(), url(explicit, '')]);
      expect(result.code, result.stderr).to.equal(0);
      const sent = result.stderr
        .split('\n')
        .filter((line) => line.startsWith('> '))
        .map((line) => line.slice(2));
      expect(sent.slice(0, 4)).to.deep.equal(['AUTH TLS', 'PBSZ 0', 'PROT P', 'USER anonymous']);
      expect(result.stdout).to.include('hello.txt');
    });

    it('refuses the certificate without --ca: it is not from a public authority', async function () {
      const result = await ftpkit(['get', '--tls', url(explicit, 'hello.txt'), '-o', 'never.txt']);
      expect(result.code).to.equal(1);
      expect(result.stderr.trim().split('\n'), result.stderr).to.have.lengthOf(1);
      expect(result.stderr).to.match(
        /certificate of 127\.0\.0\.1 .*--ca FILE trusts it, --insecure skips the check/,
      );
      expect(await exists(local('never.txt'))).to.equal(false);
    });
  });

  const refusals: {
    problem: string;
    cert: (c: TestCertificates) => CertificateFiles;
    says: RegExp;
    ca: boolean;
  }[] = [
    // Trusting the test CA: only what is wrong with the certificate itself is left.
    { problem: 'self-signed', cert: (c) => c.selfSigned, says: /is self-signed/, ca: false },
    { problem: 'expired', cert: (c) => c.expired, says: /certificate of 127\.0\.0\.1 expired/, ca: true },
    {
      problem: 'wrong-host',
      cert: (c) => c.wrongHost,
      says: /is for another host \(DNS:wrong\.invalid\)/,
      ca: true,
    },
  ];
  for (const { problem, cert, says, ca } of refusals) {
    for (const mode of ['explicit', 'implicit'] as const) {
      describe(`with a ${problem} certificate (${mode})`, function () {
        let server: VsftpdServer;
        const scheme = mode === 'implicit' ? 'ftps' : 'ftp';
        const tlsFlags = (): string[] => [
          ...(mode === 'explicit' ? ['--tls'] : []),
          ...(ca ? ['--ca', caFile()] : []),
        ];

        before(async function () {
          if (certs === undefined) this.skip();
          server = await serve(mode, cert(certs));
        });

        it('get and put fail with exit 1 and one line saying why, and make no file on either side', async function () {
          const get = await ftpkit([
            'get',
            ...tlsFlags(),
            url(server, 'hello.txt', scheme),
            '-o',
            `${problem}.txt`,
          ]);
          expect(get.code, get.stderr).to.equal(1);
          expect(get.stderr.trim().split('\n'), get.stderr).to.have.lengthOf(1);
          expect(get.stderr, get.stderr).to.match(says);
          expect(await exists(local(`${problem}.txt`))).to.equal(false);
          const put = await ftpkit([
            'put',
            ...tlsFlags(),
            'payload.bin',
            url(server, `upload/${problem}.bin`, scheme),
          ]);
          expect(put.code, put.stderr).to.equal(1);
          expect(put.stderr.trim().split('\n'), put.stderr).to.have.lengthOf(1);
          expect(put.stderr).to.match(says);
          expect(await readdir(onServer(server, 'upload'))).to.deep.equal([]);
        });

        it('works with --insecure', async function () {
          const get = await ftpkit([
            'get',
            ...tlsFlags(),
            '--insecure',
            '-q',
            url(server, 'hello.txt', scheme),
            '-o',
            `${problem}-${mode}.txt`,
          ]);
          expect(get.code, get.stderr).to.equal(0);
          expect(await sha256File(local(`${problem}-${mode}.txt`))).to.equal(
            await sha256File(onServer(server, 'hello.txt')),
          );
        });
      });
    }
  }

  it('trusts a self-signed certificate given with --ca', async function () {
    if (certs === undefined) this.skip();
    const server = await serve('explicit', certs.selfSigned);
    const get = await ftpkit([
      'get',
      '--tls',
      '--ca',
      certs.selfSigned.certFile,
      '-q',
      url(server, 'hello.txt'),
      '-o',
      'trusted.txt',
    ]);
    expect(get.code, get.stderr).to.equal(0);
    expect(await sha256File(local('trusted.txt'))).to.equal(await sha256File(onServer(server, 'hello.txt')));
  });
});
