// The transfer log as log analysers read it (xferlog(5): fourteen space-separated fields).
import { expect } from 'chai';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatXferLine } from '../../../src/server/observe/xferlog.js';
import type { TransferRecord } from '../../../src/server/observe/observer.js';
import { curlDownload, curlList, curlUpload } from '../../helpers/peer-clients.js';
import { RawControl } from '../../helpers/raw-control.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

const passive = { mode: 'passive', extended: true } as const;

function targetOf(server: TestServer) {
  return { host: server.host, port: server.port, user: server.user, password: server.password };
}

const record: TransferRecord = {
  direction: 'send',
  path: '/pub/a file\twith\nodd chars.txt',
  bytes: 1234,
  ms: 180,
  ok: true,
  aborted: false,
  mode: 'passive',
  type: 'I',
  user: 'alice',
  anonymous: false,
  ip: '127.0.0.1',
  endedAt: new Date(2026, 11, 6, 6, 5, 9).getTime(),
};

describe('xferlog', function () {
  describe('formatXferLine', function () {
    it('writes the fourteen fields, ctime first, with blanks in the name made "_"', function () {
      expect(formatXferLine(record)).to.equal(
        'Sun Dec  6 06:05:09 2026 1 127.0.0.1 1234 /pub/a_file_with_odd_chars.txt b _ o r alice ftp 0 * c',
      );
    });

    it('marks uploads "i", ASCII "a", anonymous "a", unfinished "i", and rounds seconds', function () {
      const line = formatXferLine({
        ...record,
        direction: 'receive',
        type: 'A',
        anonymous: true,
        user: 'anonymous',
        ok: false,
        ms: 2600,
        path: '/up.txt',
      });
      expect(line.split(/ +/).slice(5)).to.deep.equal([
        '3',
        '127.0.0.1',
        '1234',
        '/up.txt',
        'a',
        '_',
        'i',
        'a',
        'anonymous',
        'ftp',
        '0',
        '*',
        'i',
      ]);
    });
  });

  describe('--xferlog', function () {
    let server: TestServer;
    let local: TempDir;
    let file: string;

    beforeEach(async function () {
      local = await makeTempDir('xferlog');
      file = join(local.path, 'xferlog');
      server = await startServer({ options: { xferlog: file } });
    });

    afterEach(async function () {
      await server.close();
      await local.remove();
    });

    async function lines(path = file): Promise<string[][]> {
      const text = await readFile(path, 'utf8');
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split(' ').filter((field) => field !== ''));
    }

    it('logs each file transfer of real clients in both modes, not listings, and an aborted one as incomplete', async function () {
      await writeFile(join(server.root, 'down load.bin'), Buffer.alloc(3000, 1));
      await writeFile(join(local.path, 'up.bin'), Buffer.alloc(5000, 2));
      await writeFile(join(server.root, 'big.bin'), Buffer.alloc(8 * 1024 * 1024));
      const target = targetOf(server);
      const active = { mode: 'active', extended: false } as const;
      expect((await curlDownload(target, 'down load.bin', join(local.path, 'd'), passive)).code).to.equal(0);
      expect((await curlUpload(target, join(local.path, 'up.bin'), 'up.bin', active)).code).to.equal(0);
      expect((await curlList(target, '/', passive)).code).to.equal(0);
      const control = await RawControl.connect(server.host, server.port);
      await control.login(server.user, server.password);
      expect((await control.command('TYPE I')).code).to.equal(200);
      const { socket } = await control.passive(server.host, true);
      socket.pause();
      expect((await control.command('RETR big.bin')).code).to.equal(150);
      expect((await control.command('ABOR')).code).to.equal(426);
      expect((await control.read()).code).to.equal(226);
      socket.destroy();
      await control.close();

      const logged = await lines();
      expect(logged).to.have.length(3);
      // Fields 6 on: seconds, host, bytes, name, type, action, direction, access, user, service, method, id, status.
      const [download, upload, aborted] = logged.map((fields) => fields.slice(5));
      expect(download).to.deep.equal([
        '1',
        '127.0.0.1',
        '3000',
        '/down_load.bin',
        'b',
        '_',
        'o',
        'r',
        server.user,
        'ftp',
        '0',
        '*',
        'c',
      ]);
      expect(upload).to.deep.equal([
        '1',
        '127.0.0.1',
        '5000',
        '/up.bin',
        'b',
        '_',
        'i',
        'r',
        server.user,
        'ftp',
        '0',
        '*',
        'c',
      ]);
      expect(aborted?.slice(3)).to.deep.equal([
        '/big.bin',
        'b',
        '_',
        'o',
        'r',
        server.user,
        'ftp',
        '0',
        '*',
        'i',
      ]);
      expect(Number(aborted?.[2])).to.be.below(8 * 1024 * 1024);
      // The time is ctime(3): "Sun Dec  6 06:05:09 2026".
      expect(logged[0]?.slice(0, 5).join(' ')).to.match(
        /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d\d:\d\d:\d\d \d{4}$/,
      );
    });

    it('logs the whole size of a download the kernel sent (sendfile), in both modes', async function () {
      const size = 3 * 1024 * 1024 + 11;
      await writeFile(join(server.root, 'large.bin'), Buffer.alloc(size, 3));
      const target = targetOf(server);
      for (const mode of [passive, { mode: 'active', extended: false } as const]) {
        expect((await curlDownload(target, 'large.bin', join(local.path, 'l'), mode)).code).to.equal(0);
      }
      const logged = await lines();
      expect(logged.map((fields) => [fields[7], fields[8], fields[17]])).to.deep.equal([
        [String(size), '/large.bin', 'c'],
        [String(size), '/large.bin', 'c'],
      ]);
    });

    it('goes on in a new file of the same name after rotation', async function () {
      await writeFile(join(server.root, 'f.txt'), 'x');
      const target = targetOf(server);
      expect((await curlDownload(target, 'f.txt', join(local.path, 'a'), passive)).code).to.equal(0);
      await rename(file, `${file}.1`);
      await server.server.reopenLogs();
      expect((await curlDownload(target, 'f.txt', join(local.path, 'b'), passive)).code).to.equal(0);
      await server.close();
      expect(await lines(`${file}.1`)).to.have.length(1);
      expect(await lines()).to.have.length(1);
    });

    it('refuses to start, in one line, when the file cannot be opened', async function () {
      let message = '';
      try {
        const bad = await startServer({ options: { xferlog: join(local.path, 'no', 'such', 'dir', 'x') } });
        await bad.close();
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.match(/^cannot open the xferlog .*no\/such\/dir\/x: no such file or directory$/);
      expect(message).to.not.include('\n');
    });
  });
});
