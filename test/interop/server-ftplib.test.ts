// Python's ftplib against ftpkitd: transfers (with REST and APPE), NLST, MLSD, LIST and the file
// commands, with set_pasv(True) and set_pasv(False), over IPv4 and IPv6.
import { expect } from 'chai';
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeRandomFile, sha256Buffer, sha256File } from '../helpers/hash.js';
import { runFtplib, type FtplibOp, type FtplibResult } from '../helpers/peer-clients.js';
import { python3For, requirePeer } from '../helpers/peers.js';
import { run } from '../helpers/process.js';
import {
  HOSTS,
  MODES,
  ODD_NAME,
  expectDataVerbs,
  startInteropServer,
  useInteropFixture,
  SECURITY,
  tlsLabel,
} from './helpers.js';

const BIG_BYTES = 3 * 1024 * 1024;
const REST_AT = 1_234_567;

/** The value of the named operation, which must have succeeded. */
function valueOf(result: FtplibResult, index: number): unknown {
  const entry = result.results[index];
  if (entry?.ok !== true) {
    throw new Error(`operation ${index} did not succeed: ${JSON.stringify(entry)}`);
  }
  return entry.value;
}

for (const tls of SECURITY) {
  for (const host of HOSTS) {
    // ftplib picks the verbs by address family: PASV/PORT over IPv4, EPSV/EPRT over IPv6.
    const extended = host === '::1';

    describe(`interop: Python ftplib against ftpkitd over ${host}${tlsLabel(tls)}`, function () {
      const { srv, local } = useInteropFixture(host, 'interop-ftplib', 'python3', { tls });
      let bigHash = '';

      before(async function () {
        bigHash = await makeRandomFile(local('big.bin'), BIG_BYTES);
        await writeFile(local('empty.dat'), '');
        await writeFile(local('tail.txt'), 'appended ✓\n');
      });

      for (const mode of MODES) {
        it(`set_pasv(${String(mode === 'passive')}): transfers, listings and file commands`, async function () {
          const dir = `ftplib ${mode} dír`;
          const copy = local(`copy-${mode}.bin`);
          const restCopy = local(`rest-${mode}.bin`);
          const emptyCopy = local(`empty-${mode}.dat`);
          const ops: FtplibOp[] = [
            { op: 'mkd', path: dir }, // 0
            { op: 'cwd', path: dir }, // 1
            { op: 'pwd' }, // 2
            { op: 'stor', local: local('big.bin'), remote: ODD_NAME }, // 3
            { op: 'size', path: ODD_NAME }, // 4
            { op: 'retr', remote: ODD_NAME, local: copy }, // 5
            { op: 'retr', remote: ODD_NAME, local: restCopy, rest: REST_AT }, // 6
            { op: 'stor', local: local('empty.dat'), remote: 'empty.dat' }, // 7
            { op: 'retr', remote: 'empty.dat', local: emptyCopy }, // 8
            { op: 'appe', local: local('tail.txt'), remote: 'empty.dat' }, // 9
            { op: 'nlst' }, // 10
            { op: 'mlsd' }, // 11
            { op: 'dir' }, // 12
            { op: 'rename', from: ODD_NAME, to: 'renamed.bin' }, // 13
            { op: 'size', path: 'renamed.bin' }, // 14
            { op: 'quote', line: 'NOOP' }, // 15
            { op: 'delete', path: 'renamed.bin' }, // 16
            { op: 'delete', path: 'empty.dat' }, // 17
            { op: 'cwd', path: '..' }, // 18
            { op: 'rmd', path: dir }, // 19
            { op: 'delete', path: 'no-such-file' }, // 20: must fail
            { op: 'rmd', path: 'no-such-dir' }, // 21: must fail
          ];
          const mark = srv().mark();
          const result = await runFtplib(srv(), { mode, ops, stopOnError: false });
          const verbs = srv().verbsSince(mark);

          expect(result.loginError).to.equal(null);
          expect(result.results).to.have.lengthOf(ops.length);
          expect(result.results.slice(0, 20).filter((r) => !r.ok)).to.deep.equal([]);
          expect(valueOf(result, 0)).to.equal(`/${dir}`);
          expect(valueOf(result, 2)).to.equal(`/${dir}`);
          expect(valueOf(result, 3)).to.match(/^226 /);
          expect(valueOf(result, 4)).to.equal(BIG_BYTES);
          expect(await sha256File(copy)).to.equal(bigHash);
          const big = await readFile(local('big.bin'));
          expect(await sha256File(restCopy)).to.equal(sha256Buffer(big.subarray(REST_AT)));
          expect(await readFile(emptyCopy)).to.have.lengthOf(0);

          expect(valueOf(result, 10)).to.have.members([ODD_NAME, 'empty.dat']);
          const mlsd = valueOf(result, 11) as [string, Record<string, string>][];
          const facts = new Map(mlsd);
          expect([...facts.keys()]).to.have.members([ODD_NAME, 'empty.dat']);
          expect(facts.get(ODD_NAME)).to.include({ type: 'file', size: String(BIG_BYTES) });
          expect(facts.get('empty.dat')).to.include({
            type: 'file',
            size: String(Buffer.byteLength('appended ✓\n')),
          });
          expect(facts.get(ODD_NAME)?.modify).to.match(/^\d{14}(\.\d+)?$/);
          const lines = valueOf(result, 12) as string[];
          expect(lines).to.have.lengthOf(2);
          expect(lines.find((line) => line.endsWith(` ${ODD_NAME}`))).to.match(
            new RegExp(`^-[rwx-]{9}\\s.*\\s${BIG_BYTES}\\s`),
          );
          expect(valueOf(result, 14)).to.equal(BIG_BYTES);

          expect(result.results[20]).to.deep.include({ ok: false, code: '550' });
          expect(result.results[21]).to.deep.include({ ok: false, code: '550' });
          expect(await readdir(srv().root)).not.to.include(dir);

          expectDataVerbs(verbs, mode, extended);
          expect(verbs.filter((v) => v === 'REST')).to.have.lengthOf(1);
          expect(verbs).to.include('APPE').and.to.include('MLSD').and.to.include('NLST');
        });
      }

      it('refuses writes for the read-only account but lets it read', async function () {
        await writeFile(join(srv().root, 'public.txt'), 'readable\n');
        const copy = local('public.txt');
        const result = await runFtplib(srv().asReader(), {
          mode: 'passive',
          ops: [
            { op: 'retr', remote: 'public.txt', local: copy },
            { op: 'stor', local: local('tail.txt'), remote: 'nope.txt' },
            { op: 'mkd', path: 'nope' },
            { op: 'delete', path: 'public.txt' },
          ],
          stopOnError: false,
        });
        expect(result.results.map((r) => (r.ok ? 'ok' : r.code))).to.deep.equal(['ok', '550', '550', '550']);
        expect(await readFile(copy, 'utf8')).to.equal('readable\n');
        const onDisk = await readdir(srv().root);
        expect(onDisk).to.include('public.txt');
        expect(onDisk).not.to.include('nope.txt');
        expect(onDisk).not.to.include('nope');
        expect(onDisk.filter((name) => name.startsWith('.'))).to.deep.equal([]);
      });

      it('rejects a wrong password with 530', async function () {
        const result = await runFtplib(
          { ...srv(), password: `${srv().password}x` },
          { mode: 'passive', ops: [{ op: 'pwd' }] },
        );
        expect(result.loginError).to.match(/^530/);
        expect(result.results).to.deep.equal([]);
      });
    });
  }
}
// Stock FTP_TLS makes a fresh TLS session on every data connection (the runs above use a subclass
// that resumes the control connection's): the default tls-session-reuse refuses it in clear words.
for (const reuse of ['required', 'optional'] as const) {
  describe(`interop: stock Python FTP_TLS (no session resumption) against tls-session-reuse ${reuse}`, function () {
    const { srv, local } = useInteropFixture('127.0.0.1', 'interop-ftplib-stock', 'python3', {
      tls: true,
      options: { tlsSessionReuse: reuse },
    });
    let hash = '';

    before(async function () {
      hash = await makeRandomFile(join(srv().root, 'stock.bin'), 200_000);
      await copyFile(join(srv().root, 'stock.bin'), local('stock.bin'));
    });

    for (const mode of MODES) {
      const passive = mode === 'passive';
      const outcome = reuse === 'required' ? 'gets 522 naming the option, and writes nothing' : 'works';
      it(`set_pasv(${String(passive)}): a download and an upload ${outcome}`, async function () {
        const copy = local(`stock-${mode}.bin`);
        const remote = `stock-up-${mode}.bin`;
        const result = await runFtplib(srv(), {
          mode,
          resumeTlsSession: false,
          ops: [
            { op: 'retr', remote: 'stock.bin', local: copy },
            { op: 'stor', local: local('stock.bin'), remote },
            { op: 'pwd' },
          ],
          stopOnError: false,
        });
        expect(result.loginError).to.equal(null);
        if (reuse === 'optional') {
          expect(result.ok, JSON.stringify(result.results)).to.equal(true);
          expect(await sha256File(copy)).to.equal(hash);
          expect(await sha256File(join(srv().root, remote))).to.equal(hash);
          return;
        }
        for (const transfer of result.results.slice(0, 2)) {
          expect(transfer).to.deep.include({ ok: false, code: '522' });
          expect(transfer.ok ? '' : transfer.error).to.match(/tls-session-reuse/);
        }
        // The control connection goes on.
        expect(result.results[2]).to.deep.include({ ok: true, value: '/' });
        expect(await readdir(srv().root)).not.to.include(remote);
      });
    }
  });
}

describe('interop: Python ftplib abort() against ftpkitd', function () {
  // ftplib sends "ABOR\r\n" as urgent data; on Linux the LF never reaches the server's stream.
  it('aborts a running download and keeps the session usable', async function () {
    requirePeer(this, 'python3');
    const server = await startInteropServer('127.0.0.1');
    try {
      await makeRandomFile(join(server.root, 'big.bin'), 32 * 1024 * 1024);
      const script = [
        'import ftplib, sys',
        'f = ftplib.FTP(timeout=5)',
        `f.connect('127.0.0.1', ${server.port})`,
        `f.login(${JSON.stringify(server.user)}, ${JSON.stringify(server.password)})`,
        "f.voidcmd('TYPE I')",
        "c = f.transfercmd('RETR big.bin')",
        'c.recv(65536)',
        "print('abort', f.abort().split()[0])",
        '# abort() reads one reply; the server sends 426 for the transfer, then 226 for ABOR.',
        "print('then', f.getresp().split()[0])",
        'c.close()',
        "print('noop', f.voidcmd('NOOP').split()[0])",
        'f.quit()',
      ].join('\n');
      const result = await run(python3For('ftplib') ?? 'python3', ['-c', script], { timeoutMs: 20_000 });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/^abort 426$/m);
      expect(result.stdout).to.match(/^then 226$/m);
      expect(result.stdout).to.match(/^noop 200$/m);
    } finally {
      await server.close();
    }
  });
});
