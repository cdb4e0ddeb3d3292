// Classic `mget *.txt` against ftpkitd: tnftp and GNU inetutils' ftp expand the pattern by sending
// it to the server (NLST *.txt), then RETR each name the listing gave. Both modes, both loopbacks;
// the drivers turn prompting off (tnftp: prompt off, inetutils-ftp: -i).
import { expect } from 'chai';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  inetutilsFtpScript,
  tnftpScript,
  type ClientResult,
  type DataMode,
  type FtpTarget,
} from '../helpers/peer-clients.js';
import type { PeerName } from '../helpers/peers.js';
import { HOSTS, MODES, ok, useInteropFixture } from './helpers.js';

interface MgetClient {
  peer: PeerName;
  run(target: FtpTarget, commands: readonly string[], mode: DataMode, cwd: string): Promise<ClientResult>;
}

const CLIENTS: readonly MgetClient[] = [
  { peer: 'tnftp', run: (target, commands, mode, cwd) => tnftpScript(target, commands, { mode, cwd }) },
  {
    peer: 'inetutils-ftp',
    run: (target, commands, mode, cwd) => inetutilsFtpScript(target, commands, { mode, cwd }),
  },
];

const FILES: Record<string, string> = {
  'one.txt': 'first file\n',
  'two.txt': 'second file ✓\n',
  'skip.bin': 'not a text file\n',
  '.hidden.txt': 'dot files stay out of *\n',
  'sub/three.txt': 'in a subdirectory\n',
  'sub/four.dat': 'not matched\n',
};

for (const host of HOSTS) {
  for (const client of CLIENTS) {
    describe(`interop: ${client.peer} mget against ftpkitd over ${host}`, function () {
      const { srv, local } = useInteropFixture(host, `interop-mget-${client.peer}`, client.peer);

      before(async function () {
        await mkdir(join(srv().root, 'sub'));
        for (const [name, text] of Object.entries(FILES)) await writeFile(join(srv().root, name), text);
      });

      for (const mode of MODES) {
        it(`${mode}: mget *.txt and mget sub/*.txt fetch exactly the matching files`, async function () {
          const cwd = local(mode);
          await mkdir(join(cwd, 'sub'), { recursive: true });
          const mark = srv().mark();
          const result = await client.run(srv(), ['mget *.txt', 'mget sub/*.txt'], mode, cwd);
          ok(result);
          const why = `stdout: ${result.stdout}\nstderr: ${result.stderr}`;
          expect(await readdir(cwd), why).to.have.members(['one.txt', 'two.txt', 'sub']);
          expect(await readdir(join(cwd, 'sub')), why).to.deep.equal(['three.txt']);
          for (const name of ['one.txt', 'two.txt', 'sub/three.txt']) {
            expect(await readFile(join(cwd, name), 'utf8'), name).to.equal(FILES[name]);
          }
          const lines = srv()
            .commandsSince(mark)
            .map((c) => c.line);
          // The listing that expanded each pattern, whichever verb the client chose for it.
          expect(
            lines.some((line) => /^(NLST|LIST) (-\w+ )?\*\.txt$/.test(line)),
            lines.join('\n'),
          ).to.equal(true);
          expect(lines.some((line) => /^(NLST|LIST) (-\w+ )?sub\/\*\.txt$/.test(line))).to.equal(true);
          expect(lines).to.include('RETR sub/three.txt');
        });
      }
    });
  }
}
