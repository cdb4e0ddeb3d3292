// tnftp (the classic BSD ftp) against ftpkitd: get, put and ls in passive and active mode, with the
// extended verbs on and off, over IPv4 and IPv6. tnftp exits 0 even when a command failed, so every
// test checks the files themselves and the replies tnftp printed.
import { expect } from 'chai';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeRandomFile, sha256File } from '../helpers/hash.js';
import {
  tnftpGet,
  tnftpLs,
  tnftpPut,
  tnftpQuote,
  tnftpScript,
  type TnftpOptions,
} from '../helpers/peer-clients.js';
import {
  HOSTS,
  MODES,
  ODD_NAME,
  dataVerbs,
  expectDataVerbs,
  ok,
  useInteropFixture,
  verbsDuring,
} from './helpers.js';

const BIG_BYTES = 4 * 1024 * 1024;

/** Reply lines tnftp printed with -v, e.g. ['226', '150', ...]. */
function replyCodes(stdout: string): string[] {
  return [...stdout.matchAll(/^(\d{3})[ -]/gm)].map((m) => m[1] ?? '');
}

for (const host of HOSTS) {
  // tnftp has epsv4 for IPv4 only; over IPv6 it always uses EPSV and EPRT.
  const extendedChoices = host === '::1' ? [true] : [true, false];

  describe(`interop: tnftp against ftpkitd over ${host}`, function () {
    const { srv, local } = useInteropFixture(host, 'interop-tnftp', 'tnftp');
    let bigHash = '';

    before(async function () {
      bigHash = await makeRandomFile(join(srv().root, 'big.bin'), BIG_BYTES);
      await writeFile(join(srv().root, ODD_NAME), 'odd name\n');
      await writeFile(join(srv().root, 'empty.dat'), '');
    });

    for (const mode of MODES) {
      for (const extended of extendedChoices) {
        const { used } = dataVerbs(mode, extended);
        const options: TnftpOptions = { mode, extended };

        it(`${mode} with ${used}: get and put ${BIG_BYTES / 1024 / 1024} MiB byte-exact`, async function () {
          const copy = local(`get-${used}.bin`);
          const getVerbs = await verbsDuring(srv(), async () => {
            const result = await tnftpGet(srv(), 'big.bin', copy, options);
            ok(result);
            expect(replyCodes(result.stdout)).to.include('226');
          });
          expect(await sha256File(copy)).to.equal(bigHash);
          expectDataVerbs(getVerbs, mode, extended);

          const remote = `put-${used}.bin`;
          const putVerbs = await verbsDuring(srv(), async () => {
            const result = await tnftpPut(srv(), copy, remote, options);
            ok(result);
            expect(replyCodes(result.stdout)).to.include('226');
          });
          expect(await sha256File(join(srv().root, remote))).to.equal(bigHash);
          expectDataVerbs(putVerbs, mode, extended);
          expect(putVerbs).to.include('STOR');
        });

        it(`${mode} with ${used}: an empty file and an odd name both ways`, async function () {
          const emptyCopy = local(`empty-${used}.dat`);
          const oddCopy = local(`odd ${used} ${ODD_NAME}`);
          const oddRemote = `${used} ${ODD_NAME}`;
          const result = await tnftpScript(
            srv(),
            [
              `get empty.dat ${tnftpQuote(emptyCopy)}`,
              `get ${tnftpQuote(ODD_NAME)} ${tnftpQuote(oddCopy)}`,
              `put ${tnftpQuote(emptyCopy)} ${tnftpQuote(`empty-${used}.dat`)}`,
              `put ${tnftpQuote(oddCopy)} ${tnftpQuote(oddRemote)}`,
            ],
            options,
          );
          ok(result);
          expect(replyCodes(result.stdout).filter((code) => code === '226')).to.have.lengthOf(4);
          expect(await readFile(emptyCopy)).to.have.lengthOf(0);
          expect(await readFile(oddCopy, 'utf8')).to.equal('odd name\n');
          expect(await readFile(join(srv().root, `empty-${used}.dat`))).to.have.lengthOf(0);
          expect(await readFile(join(srv().root, oddRemote), 'utf8')).to.equal('odd name\n');
        });

        it(`${mode} with ${used}: ls lists the directory`, async function () {
          const mark = srv().mark();
          const result = await tnftpLs(srv(), '/', options);
          ok(result);
          const lines = result.stdout.split(/\r?\n/);
          expect(
            lines.some((line) => /^-.*\sbig\.bin$/.test(line) && line.includes(` ${BIG_BYTES} `)),
          ).to.equal(true, result.stdout);
          expect(lines.some((line) => line.startsWith('-') && line.endsWith(` ${ODD_NAME}`))).to.equal(
            true,
            result.stdout,
          );
          expect(replyCodes(result.stdout)).to.include('226');
          const verbs = srv().verbsSince(mark);
          expect(verbs).to.include('LIST');
          expectDataVerbs(verbs, mode, extended);
        });
      }
    }

    for (const mode of MODES) {
      it(`${mode}: ASCII mode converts line ends both ways and the text survives`, async function () {
        const text = 'line one\nline two ✓\n\nlast\n';
        await writeFile(join(srv().root, `text-${mode}.txt`), text);
        const copy = local(`text-${mode}.txt`);
        const result = await tnftpScript(
          srv(),
          [
            'ascii',
            `get text-${mode}.txt ${tnftpQuote(copy)}`,
            `put ${tnftpQuote(copy)} text-${mode}-up.txt`,
          ],
          { mode },
        );
        ok(result);
        expect(result.stdout).to.match(/^150 Opening ASCII mode/m);
        // On the wire every LF became CRLF: tnftp counts the bytes it received.
        const lineCount = text.split('\n').length - 1;
        expect(result.stdout).to.include(`${Buffer.byteLength(text) + lineCount} bytes received`);
        expect(await readFile(copy, 'utf8')).to.equal(text);
        expect(await readFile(join(srv().root, `text-${mode}-up.txt`), 'utf8')).to.equal(text);
      });
    }

    it('size, modtime, mkdir, rename, delete, rmdir, reget and nlist', async function () {
      const full = await readFile(join(srv().root, 'big.bin'));
      const partial = local('reget.bin');
      await writeFile(partial, full.subarray(0, 777_777));
      await writeFile(join(srv().root, 'move-me.txt'), 'moving\n');
      const mark = srv().mark();
      const result = await tnftpScript(
        srv(),
        [
          'size big.bin',
          'modtime big.bin',
          `mkdir ${tnftpQuote('a dir ✓')}`,
          `rename move-me.txt ${tnftpQuote('a dir ✓/moved.txt')}`,
          `get ${tnftpQuote('a dir ✓/moved.txt')} ${tnftpQuote(local('moved.txt'))}`,
          `delete ${tnftpQuote('a dir ✓/moved.txt')}`,
          `rmdir ${tnftpQuote('a dir ✓')}`,
          `reget big.bin ${tnftpQuote(partial)}`,
          'nlist',
        ],
        { mode: 'passive' },
      );
      ok(result);
      expect(result.stdout).to.match(new RegExp(`^big\\.bin\\s+${BIG_BYTES}$`, 'm'));
      const mtime = (await stat(join(srv().root, 'big.bin'))).mtime;
      const shown = /^big\.bin\s+(.+ \+0000)$/m.exec(result.stdout)?.[1];
      expect(shown, result.stdout).to.be.a('string');
      expect(new Date(shown ?? '').getTime()).to.equal(Math.floor(mtime.getTime() / 1000) * 1000);
      expect(await readFile(local('moved.txt'), 'utf8')).to.equal('moving\n');
      expect(await sha256File(partial)).to.equal(bigHash);
      expect(
        srv()
          .commandsSince(mark)
          .map((c) => c.line),
      ).to.include('REST 777777');
      const names = result.stdout.split(/\r?\n/);
      for (const name of await readdir(srv().root)) expect(names).to.include(name);
      expect(await readdir(srv().root)).not.to.include('a dir ✓');
      expect(await readdir(srv().root)).not.to.include('move-me.txt');
    });

    it('a refused put shows the 550 and leaves nothing behind', async function () {
      const source = local('refused.txt');
      await writeFile(source, 'not allowed\n');
      const result = await tnftpPut(srv().asReader(), source, 'refused.txt', { mode: 'passive' });
      // tnftp exits 0 anyway; the reply and the disk tell the truth.
      expect(replyCodes(result.stdout)).to.include('550');
      expect(await readdir(srv().root)).not.to.include('refused.txt');
    });
  });
}
