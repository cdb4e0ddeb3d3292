// lftp against ftpkitd: mirror a tree both ways (MLSD listings, MKD, uploads of odd names), get, put
// and ls, in passive and active mode, over IPv4 and IPv6.
import { expect } from 'chai';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashTree, makeRandomFile, makeTree, SAMPLE_TREE, sha256File } from '../helpers/hash.js';
import {
  lftpGet,
  lftpLs,
  lftpMirrorDown,
  lftpMirrorUp,
  lftpPut,
  lftpQuote,
  lftpScript,
  type DataMode,
  type LftpOptions,
} from '../helpers/peer-clients.js';
import {
  HOSTS,
  MODES,
  ODD_NAME,
  expectDataVerbs,
  ok,
  useInteropFixture,
  verbsDuring,
  type LoopbackHost,
  SECURITY,
  tlsLabel,
} from './helpers.js';

const BIG_BYTES = 5 * 1024 * 1024;
const PGET_BYTES = 24 * 1024 * 1024;

interface Variant {
  mode: DataMode;
  /** ftp:prefer-epsv; over IPv6 lftp uses EPSV and EPRT whatever it says. */
  extended: boolean;
  label: string;
}

function variants(host: LoopbackHost): Variant[] {
  if (host === '::1') {
    return MODES.map((mode) => ({ mode, extended: true, label: mode === 'passive' ? 'EPSV' : 'EPRT' }));
  }
  // lftp has no switch for EPRT: active mode over IPv4 is always PORT.
  return [
    { mode: 'passive', extended: false, label: 'PASV' },
    { mode: 'passive', extended: true, label: 'EPSV' },
    { mode: 'active', extended: false, label: 'PORT' },
  ];
}

for (const tls of SECURITY) {
  for (const host of HOSTS) {
    describe(`interop: lftp against ftpkitd over ${host}${tlsLabel(tls)}`, function () {
      const { srv, local } = useInteropFixture(host, 'interop-lftp', 'lftp', { tls });
      let bigHash = '';

      before(async function () {
        await makeTree(join(srv().root, 'tree'), SAMPLE_TREE);
        bigHash = await makeRandomFile(join(srv().root, 'big.bin'), BIG_BYTES);
      });

      for (const { mode, extended, label } of variants(host)) {
        const options: LftpOptions = { mode, extended };

        it(`${mode} (${label}): mirror down and mirror -R up keep the tree identical`, async function () {
          const down = local(`down-${label}`);
          const downVerbs = await verbsDuring(srv(), async () => {
            ok(await lftpMirrorDown(srv(), 'tree', down, options));
          });
          const original = await hashTree(join(srv().root, 'tree'));
          expect(await hashTree(down)).to.deep.equal(original);
          expectDataVerbs(downVerbs, mode, extended);
          // FEAT offers MLST, so lftp lists with MLSD.
          expect(downVerbs).to.include('MLSD');

          // --no-perms: plain mirror -R also sends SITE CHMOD per file; that has its own test below.
          const remote = `up-${label}`;
          const upVerbs = await verbsDuring(srv(), async () => {
            ok(
              await lftpScript(
                srv(),
                [`mirror -R --no-perms --verbose ${lftpQuote(down)} ${lftpQuote(remote)}`],
                options,
              ),
            );
          });
          expect(await hashTree(join(srv().root, remote))).to.deep.equal(original);
          expectDataVerbs(upVerbs, mode, extended);
          expect(upVerbs).to.include('MKD').and.to.include('STOR');
        });

        it(`${mode} (${label}): get and put a ${BIG_BYTES / 1024 / 1024} MiB file`, async function () {
          const copy = local(`get-${label}.bin`);
          const getVerbs = await verbsDuring(srv(), async () => {
            ok(await lftpGet(srv(), 'big.bin', copy, options));
          });
          expect(await sha256File(copy)).to.equal(bigHash);
          expectDataVerbs(getVerbs, mode, extended);

          const remote = `put ${label} ${ODD_NAME}`;
          const putVerbs = await verbsDuring(srv(), async () => {
            ok(await lftpPut(srv(), copy, remote, options));
          });
          expect(await sha256File(join(srv().root, remote))).to.equal(bigHash);
          expectDataVerbs(putVerbs, mode, extended);
        });

        it(`${mode} (${label}): ls shows the directory with its odd names`, async function () {
          const listing = await lftpLs(srv(), 'tree', options);
          ok(listing);
          const lines = listing.stdout.split(/\r?\n/).filter((line) => line !== '');
          const names = Object.keys(SAMPLE_TREE);
          expect(lines).to.have.lengthOf(names.length);
          for (const name of names) {
            expect(
              lines.some((line) => line.endsWith(` ${name}`)),
              `${name} in\n${listing.stdout}`,
            ).to.equal(true);
          }
          expect(lines.find((line) => line.endsWith(' nested'))).to.match(/^d/);
          expect(lines.find((line) => line.endsWith(' empty.dat'))).to.match(/^-.* 0 /);
        });
      }

      // Not about the address family: once is enough.
      if (host === '127.0.0.1') {
        it('plain mirror -R (which sets permissions with SITE CHMOD) succeeds', async function () {
          const source = local('perms-source');
          await makeTree(source, SAMPLE_TREE);
          await chmod(join(source, 'readme.txt'), 0o640);
          const mark = srv().mark();
          const result = await lftpMirrorUp(srv(), source, 'perms-up', { mode: 'passive' });
          const chmods = srv()
            .commandsSince(mark)
            .filter((c) => c.verb === 'SITE');
          expect(await hashTree(join(srv().root, 'perms-up'))).to.deep.equal(await hashTree(source));
          // lftp gives up on the whole mirror (exit 1) when the server refuses SITE CHMOD.
          ok(result);
          expect(chmods.some((c) => /^SITE CHMOD 0?640 \S*readme\.txt$/i.test(c.line))).to.equal(true);
          expect((await stat(join(srv().root, 'perms-up', 'readme.txt'))).mode & 0o777).to.equal(0o640);
        });
      }

      it('pget -n 4 fetches segments in parallel and ends each early segment with ABOR', async function () {
        // Large enough that the first segments end while the server still has megabytes to send,
        // more than the loopback socket buffers hold, so lftp has to abort them.
        const pgetHash = await makeRandomFile(join(srv().root, 'pget-source.bin'), PGET_BYTES);
        const copy = local('pget.bin');
        // lftp drops the extra connections, without a segment, when its first transfer gets far
        // enough before they have logged in (24 MiB take ~10 ms with sendfile): then no ABOR is
        // needed. lftp reads each connection at 16 MB/s, so the first one is still going when the
        // others are in, and every segment ends while the server has more in its socket. Still,
        // pget runs until one did need them, 5 times at most; every copy must be whole.
        let commands: ReturnType<ReturnType<typeof srv>['commandsSince']> = [];
        for (let attempt = 0; attempt < 5 && !commands.some((c) => c.verb === 'ABOR'); attempt++) {
          const mark = srv().mark();
          ok(
            await lftpScript(
              srv(),
              ['set net:limit-rate 16M', `pget -n 4 pget-source.bin -o ${lftpQuote(copy)}`],
              { mode: 'passive' },
            ),
          );
          expect(await sha256File(copy)).to.equal(pgetHash);
          commands = srv().commandsSince(mark);
        }
        expect(new Set(commands.map((c) => c.session)).size).to.be.greaterThan(1);
        expect(commands.filter((c) => c.verb === 'REST').length).to.be.greaterThan(0);
        // lftp sends ABOR after Telnet IP and Synch (IAC IP, IAC DM with DM as urgent data); the
        // server must still read the verb intact.
        const unknown = commands.filter((c) => srv().server.registry.get(c.verb) === undefined);
        expect(unknown.map((c) => c.line)).to.deep.equal([]);
        expect(commands.filter((c) => c.verb === 'ABOR').length).to.be.greaterThan(0);
      });

      it('renames, removes and makes directories, and resumes a get (REST)', async function () {
        const options: LftpOptions = { mode: 'passive' };
        const partial = local('resume.bin');
        const full = await readFile(join(srv().root, 'big.bin'));
        await writeFile(partial, full.subarray(0, 1_000_000));
        const mark = srv().mark();
        ok(
          await lftpScript(
            srv(),
            [
              `mkdir -p ${lftpQuote('made/by lftp')}`,
              `put ${lftpQuote(partial)} -o ${lftpQuote('made/by lftp/x.bin')}`,
              `mv ${lftpQuote('made/by lftp/x.bin')} ${lftpQuote('made/by lftp/ÿ renamed.bin')}`,
              `get -c big.bin -o ${lftpQuote(partial)}`,
              'rm -r made',
            ],
            options,
          ),
        );
        expect(await sha256File(partial)).to.equal(bigHash);
        const lines = srv()
          .commandsSince(mark)
          .map((c) => c.line);
        expect(lines).to.include('REST 1000000');
        expect(lines).to.include('RNTO made/by lftp/ÿ renamed.bin');
        expect(lines.some((line) => line.startsWith('RMD '))).to.equal(true);
        const sent = srv()
          .transfersSince(mark)
          .filter((t) => t.direction === 'send');
        expect(sent.map((t) => [t.ok, t.bytes])).to.deep.equal([[true, BIG_BYTES - 1_000_000]]);
        expect(await hashTree(srv().root)).not.to.have.property('made');
      });

      it('fails (exit code) when the read-only account tries to put', async function () {
        const source = local('denied.txt');
        await writeFile(source, 'not allowed\n');
        const result = await lftpPut(srv().asReader(), source, 'denied.bin', { mode: 'passive' });
        expect(result.code, result.stderr).to.not.equal(0);
        expect(await hashTree(srv().root)).not.to.have.property('denied.bin');
      });
    });
  }
}
