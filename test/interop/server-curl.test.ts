// curl against ftpkitd: every data-connection verb curl can use, resume in both directions, append,
// --ftp-create-dirs and raw quote commands, over IPv4 and IPv6.
import { expect } from 'chai';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeRandomFile, sha256Buffer, sha256File } from '../helpers/hash.js';
import {
  curlAppend,
  curlBatch,
  curlDownload,
  curlList,
  curlQuote,
  curlUpload,
  curlActiveTlsProblem,
  type CurlOptions,
  type DataMode,
} from '../helpers/peer-clients.js';
import { skipWith } from '../helpers/peers.js';
import {
  HOSTS,
  MODES,
  ODD_NAME,
  dataVerbs,
  expectDataVerbs,
  ok,
  transfersAfter,
  useInteropFixture,
  verbsDuring,
  SECURITY,
  tlsLabel,
} from './helpers.js';

const BIG_BYTES = 8 * 1024 * 1024;
const MEDIUM_BYTES = 300 * 1024;

/** Skips active mode over FTPS where this curl cannot do it (see curlActiveTlsProblem). */
function requireCurlMode(ctx: Mocha.Context, mode: DataMode, tls: boolean): void {
  const problem = tls && mode === 'active' ? curlActiveTlsProblem() : undefined;
  if (problem !== undefined) skipWith(ctx, problem);
}

for (const tls of SECURITY) {
  for (const host of HOSTS) {
    // curl forces EPSV and EPRT over IPv6 whatever the flags say: PASV and PORT cannot carry an IPv6
    // address, so only the extended verbs apply there.
    const extendedChoices = host === '::1' ? [true] : [true, false];

    describe(`interop: curl against ftpkitd over ${host}${tlsLabel(tls)}`, function () {
      const { srv, local } = useInteropFixture(host, 'interop-curl', 'curl', { tls });
      let bigHash = '';
      let mediumHash = '';

      before(async function () {
        bigHash = await makeRandomFile(join(srv().root, 'big.bin'), BIG_BYTES);
        mediumHash = await makeRandomFile(join(srv().root, 'medium.bin'), MEDIUM_BYTES);
        await writeFile(join(srv().root, 'empty.dat'), '');
        await writeFile(join(srv().root, ODD_NAME), 'odd name\n');
      });

      for (const mode of MODES) {
        for (const extended of extendedChoices) {
          const { used } = dataVerbs(mode, extended);
          it(`${mode} with ${used}: downloads and uploads 8 MiB byte-exact`, async function () {
            requireCurlMode(this, mode, tls);
            const options: CurlOptions = { mode, extended };
            const copy = local(`down-${used}.bin`);
            const downVerbs = await verbsDuring(srv(), async () => {
              ok(await curlDownload(srv(), 'big.bin', copy, options));
            });
            expect(await sha256File(copy)).to.equal(bigHash);
            expectDataVerbs(downVerbs, mode, extended);
            expect(downVerbs).to.include('RETR');

            const upVerbs = await verbsDuring(srv(), async () => {
              ok(await curlUpload(srv(), copy, `up-${used}.bin`, options));
            });
            expect(await sha256File(join(srv().root, `up-${used}.bin`))).to.equal(bigHash);
            expectDataVerbs(upVerbs, mode, extended);
            expect(upVerbs).to.include('STOR');
          });

          it(`${mode} with ${used}: an empty file and a name with spaces and unicode`, async function () {
            requireCurlMode(this, mode, tls);
            const options: CurlOptions = { mode, extended };
            const empty = local(`empty-${used}.dat`);
            ok(await curlDownload(srv(), 'empty.dat', empty, options));
            expect(await readFile(empty)).to.have.lengthOf(0);
            ok(await curlUpload(srv(), empty, `empty-up-${used}.dat`, options));
            expect(await readFile(join(srv().root, `empty-up-${used}.dat`))).to.have.lengthOf(0);

            const odd = local(`odd-${used}.txt`);
            ok(await curlDownload(srv(), ODD_NAME, odd, options));
            expect(await readFile(odd, 'utf8')).to.equal('odd name\n');
            const oddUp = `${used} ${ODD_NAME}`;
            ok(await curlUpload(srv(), odd, oddUp, options));
            expect(await readFile(join(srv().root, oddUp), 'utf8')).to.equal('odd name\n');
          });

          it(`${mode} with ${used}: lists a directory (LIST and NLST)`, async function () {
            requireCurlMode(this, mode, tls);
            const options: CurlOptions = { mode, extended };
            const long = await curlList(srv(), '/', options);
            ok(long);
            expect(long.stdout).to.match(new RegExp(`^-.* ${BIG_BYTES} .* big\\.bin\\r?$`, 'm'));
            expect(long.stdout).to.match(/^-.* 0 .* empty\.dat\r?$/m);
            expect(long.stdout.split(/\r?\n/).some((line) => line.endsWith(` ${ODD_NAME}`))).to.equal(true);

            const mark = srv().mark();
            const names = await curlList(srv(), '/', { ...options, namesOnly: true });
            ok(names);
            const listed = names.stdout.split(/\r?\n/).filter((n) => n !== '');
            expect(listed).to.include.members(['big.bin', 'medium.bin', 'empty.dat', ODD_NAME]);
            // NLST hides dot files, such as a temporary upload that is still being written.
            const onDisk = (await readdir(srv().root)).filter((name) => !name.startsWith('.'));
            expect(listed).to.have.members(onDisk);
            expect(srv().verbsSince(mark)).to.include('NLST');
          });
        }
      }

      for (const mode of MODES) {
        // One control connection, one TLS session: each data connection must resume it, and curl's
        // OpenSSL uses a TLS 1.3 ticket once, so the second file needs a ticket the first one gave.
        it(`${mode}: several uploads, downloads and a listing in one run, over one control connection`, async function () {
          requireCurlMode(this, mode, tls);
          const dir = `batch-${mode}`;
          await mkdir(join(srv().root, dir));
          const names = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];
          const remoteHashes = await Promise.all(
            names.map((name, i) => makeRandomFile(join(srv().root, dir, name), 40_000 + i * 1000)),
          );
          const sources = names.map((name) => local(`${dir}-up-${name}`));
          const localHashes = await Promise.all(
            sources.map((source, i) => makeRandomFile(source, 50_000 + i * 1000)),
          );
          const copies = names.map((name) => local(`${dir}-${name}`));
          const listing = local(`${dir}-listing.txt`);
          const mark = srv().mark();
          const result = await curlBatch(
            srv(),
            {
              uploads: names.map((name, i) => ({
                localFile: sources[i] ?? '',
                remotePath: `${dir}/up-${name}`,
              })),
              downloads: [
                ...names.map((name, i) => ({ remotePath: `${dir}/${name}`, localFile: copies[i] ?? '' })),
                { remotePath: `${dir}/`, localFile: listing },
              ],
            },
            { mode, extended: true },
          );
          ok(result);
          for (const [i, name] of names.entries()) {
            expect(await sha256File(copies[i] ?? ''), name).to.equal(remoteHashes[i]);
            expect(await sha256File(join(srv().root, dir, `up-${name}`)), `up-${name}`).to.equal(
              localHashes[i],
            );
          }
          expect(await readFile(listing, 'utf8')).to.match(/ up-d\.bin\r?$/m);
          expect(
            srv()
              .verbsSince(mark)
              .filter((v) => v === 'USER'),
          ).to.have.lengthOf(1);
          const transfers = srv()
            .transfersSince(mark)
            .map((t) => `${t.direction} ${t.ok ? 'ok' : 'failed'}`);
          expect(transfers).to.deep.equal([
            ...names.map(() => 'receive ok'),
            ...names.map(() => 'send ok'),
            'list ok',
          ]);
        });
      }

      for (const mode of MODES) {
        it(`${mode}: resumes a download with -C - (REST)`, async function () {
          requireCurlMode(this, mode, tls);
          const partial = local(`resume-${mode}.bin`);
          const full = await readFile(join(srv().root, 'medium.bin'));
          await writeFile(partial, full.subarray(0, 100_000));
          const mark = srv().mark();
          ok(await curlDownload(srv(), 'medium.bin', partial, { mode, extended: true, resume: true }));
          expect(await sha256File(partial)).to.equal(mediumHash);
          const commands = srv().commandsSince(mark);
          expect(commands.map((c) => c.line)).to.include('REST 100000');
          // Only the missing part travelled.
          const sent = srv()
            .transfersSince(mark)
            .filter((t) => t.direction === 'send');
          expect(sent.map((t) => [t.ok, t.bytes])).to.deep.equal([[true, MEDIUM_BYTES - 100_000]]);
        });

        it(`${mode}: resumes an upload with -C - (SIZE, then APPE of the rest)`, async function () {
          requireCurlMode(this, mode, tls);
          const remote = `resume-up-${mode}.bin`;
          const full = await readFile(join(srv().root, 'medium.bin'));
          await writeFile(join(srv().root, remote), full.subarray(0, 120_000));
          const source = local(`resume-source-${mode}.bin`);
          await copyFile(join(srv().root, 'medium.bin'), source);
          const mark = srv().mark();
          ok(await curlUpload(srv(), source, remote, { mode, extended: true, resume: true }));
          expect(await sha256File(join(srv().root, remote))).to.equal(mediumHash);
          const verbs = srv().verbsSince(mark);
          expect(verbs).to.include('SIZE').and.to.include('APPE');
          expect(verbs).not.to.include('STOR');
          const received = srv()
            .transfersSince(mark)
            .filter((t) => t.direction === 'receive');
          expect(received.map((t) => [t.ok, t.bytes])).to.deep.equal([[true, MEDIUM_BYTES - 120_000]]);
        });

        it(`${mode}: appends with --append (APPE), creating the file first`, async function () {
          requireCurlMode(this, mode, tls);
          const remote = `appended-${mode}.txt`;
          const piece = local(`piece-${mode}.txt`);
          await writeFile(piece, 'one\n');
          const verbs = await verbsDuring(srv(), async () => {
            ok(await curlAppend(srv(), piece, remote, { mode, extended: true }));
            await writeFile(piece, 'two ✓\n');
            ok(await curlAppend(srv(), piece, remote, { mode, extended: true }));
          });
          expect(await readFile(join(srv().root, remote), 'utf8')).to.equal('one\ntwo ✓\n');
          expect(verbs.filter((v) => v === 'APPE')).to.have.lengthOf(2);
          expect(verbs).not.to.include('STOR');
        });

        it(`${mode}: --ftp-create-dirs uploads into a new nested path`, async function () {
          requireCurlMode(this, mode, tls);
          const source = local(`nested-${mode}.bin`);
          await copyFile(join(srv().root, 'medium.bin'), source);
          const remote = `new-${mode}/dir with space/déeper/file.bin`;
          const verbs = await verbsDuring(srv(), async () => {
            ok(await curlUpload(srv(), source, remote, { mode, extended: true, createDirs: true }));
          });
          expect(await sha256File(join(srv().root, ...remote.split('/')))).to.equal(mediumHash);
          expect(verbs.filter((v) => v === 'MKD')).to.have.lengthOf(3);
        });
      }

      for (const mode of MODES) {
        it(`${mode}: a ranged download stops early with ABOR and keeps exactly the range`, async function () {
          requireCurlMode(this, mode, tls);
          const part = local(`range-${mode}.bin`);
          const mark = srv().mark();
          ok(
            await curlDownload(srv(), 'big.bin', part, {
              mode,
              extended: true,
              extraArgs: ['--range', '1000-1999'],
            }),
          );
          const full = await readFile(join(srv().root, 'big.bin'));
          expect(await sha256File(part)).to.equal(sha256Buffer(full.subarray(1000, 2000)));
          const lines = srv()
            .commandsSince(mark)
            .map((c) => c.line);
          expect(lines).to.include('REST 1000').and.to.include('ABOR');
          // The server stopped sending long before the end of the 8 MiB file.
          const sent = (await transfersAfter(srv(), mark, 1)).filter((t) => t.direction === 'send');
          expect(sent).to.have.lengthOf(1);
          expect(sent[0]?.ok).to.equal(false);
          expect(sent[0]?.bytes).to.be.lessThan(BIG_BYTES - 1000);
        });
      }

      it('runs quote commands before (MKD, RNFR/RNTO) and after (-DELE) a transfer', async function () {
        const options: CurlOptions = { mode: 'passive', extended: true };
        await writeFile(join(srv().root, 'quote-me.txt'), 'quoted\n');
        await writeFile(join(srv().root, 'delete-me.txt'), 'doomed\n');
        ok(
          await curlQuote(
            srv(),
            ['MKD quoted dir', 'RNFR quote-me.txt', 'RNTO quoted dir/moved.txt'],
            options,
          ),
        );
        expect(await readFile(join(srv().root, 'quoted dir', 'moved.txt'), 'utf8')).to.equal('quoted\n');

        // A post-transfer command runs only after the download succeeded.
        const copy = local('quote-copy.bin');
        const mark = srv().mark();
        ok(
          await curlDownload(srv(), 'medium.bin', copy, {
            ...options,
            extraArgs: ['--quote', '-DELE delete-me.txt'],
          }),
        );
        expect(await sha256File(copy)).to.equal(mediumHash);
        const lines = srv()
          .commandsSince(mark)
          .map((c) => c.line);
        expect(lines.indexOf('DELE delete-me.txt')).to.be.greaterThan(lines.indexOf('RETR medium.bin'));
        expect(await readdir(srv().root)).not.to.include('delete-me.txt');
      });

      it('fails on a refused quote command unless it is marked with *', async function () {
        const options: CurlOptions = { mode: 'passive', extended: true };
        const failed = await curlQuote(srv(), ['DELE no-such-file'], options);
        expect(failed.code, failed.stderr).to.not.equal(0);
        expect(failed.stderr).to.match(/550/);
        ok(await curlQuote(srv(), ['*DELE no-such-file', 'MKD tolerated'], options));
        expect(await readdir(srv().root)).to.include('tolerated');
      });

      it('reports a refused upload for the read-only account and writes nothing', async function () {
        const source = local('refused.txt');
        await writeFile(source, 'not allowed\n');
        const result = await curlUpload(srv().asReader(), source, 'refused.txt', {
          mode: 'passive',
          extended: true,
        });
        expect(result.code, result.stderr).to.not.equal(0);
        expect(result.stderr).to.match(/550/);
        expect(await readdir(srv().root)).not.to.include('refused.txt');
      });

      for (const mode of MODES) {
        it(`${mode}: curl's own trace shows the data verb and the server's answer`, async function () {
          requireCurlMode(this, mode, tls);
          const copy = local(`trace-${mode}.bin`);
          const result = await curlDownload(srv(), 'medium.bin', copy, {
            mode,
            extended: true,
            extraArgs: ['--verbose'],
          });
          ok(result);
          expect(await sha256File(copy)).to.equal(mediumHash);
          const family = host === '::1' ? 2 : 1;
          if (mode === 'active') {
            // The address curl announced is the client's own loopback address, and the server took it.
            const announced = new RegExp(
              `^> EPRT \\|${family}\\|${host.replace(/[.]/g, '\\.')}\\|\\d+\\|`,
              'm',
            );
            expect(result.stderr).to.match(announced);
            expect(result.stderr).to.match(/^< 200 EPRT/m);
            expect(result.stderr).not.to.match(/^> (EPSV|PASV)/m);
          } else {
            expect(result.stderr).to.match(/^< 229 .*\(\|\|\|\d+\|\)/m);
            expect(result.stderr).not.to.match(/^> (EPRT|PORT)/m);
          }
          expect(result.stderr).to.match(/^< 226 /m);
        });
      }
    });
  }
}
