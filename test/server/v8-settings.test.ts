// The V8 settings reach the server however it is started: the bin run by `node`, and a program
// that embeds FtpServer (the bin's #! line reaches neither).
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseV8Flags } from '../../src/server/v8-settings.js';
import { startProcess, type ProcessHandle } from '../helpers/process.js';
import { RawControl } from '../helpers/raw-control.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const BIN = join(REPO, 'bin', 'ftpkitd.js');
const ONE_MIB_SEMI_SPACES = 2 * 1024 * 1024;

describe('server/v8-settings', () => {
  describe('chooseV8Flags', () => {
    it('sets both settings for a process started without V8 flags', () => {
      expect(chooseV8Flags([], '')).to.deep.equal([
        '--semi-space-growth-factor=1',
        '--interrupt-budget=8192',
      ]);
    });

    it('leaves a setting the operator gave on the command line or in NODE_OPTIONS alone, whatever its spelling', () => {
      expect(chooseV8Flags(['--max-semi-space-size=8'], '')).to.deep.equal(['--interrupt-budget=8192']);
      expect(chooseV8Flags([], '--max_semi_space_size=8 --interrupt-budget=1000')).to.deep.equal([]);
      expect(chooseV8Flags(['--inspect'], '--semi-space-growth-factor=2')).to.deep.equal([
        '--interrupt-budget=8192',
      ]);
    });
  });

  describe('under a burst of logins', function () {
    this.timeout(60_000);
    let dir: TempDir;
    let server: ProcessHandle | undefined;
    const controls: RawControl[] = [];

    beforeEach(async () => {
      dir = await makeTempDir('v8-settings');
    });

    afterEach(async () => {
      await Promise.all(controls.splice(0).map((control) => control.close()));
      await server?.stop();
      server = undefined;
      await dir.remove();
    });

    /** Size of V8's young generation, as the server's own --metrics report it. */
    async function newSpaceBytes(metricsPort: number): Promise<number> {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('nodejs_heap_space_size_total_bytes{space="new"}'));
      return Number(line?.split(' ')[1]);
    }

    /** 900 anonymous logins, 300 at once, all kept open. */
    async function burst(port: number): Promise<void> {
      for (let round = 0; round < 3; round++) {
        const batch = await Promise.all(
          Array.from({ length: 300 }, async () => {
            const control = await RawControl.connect('127.0.0.1', port);
            await control.login('anonymous', 'me@example.com');
            return control;
          }),
        );
        controls.push(...batch);
      }
    }

    it('keeps 1 MiB semi-spaces when the bin is started as `node bin/ftpkitd.js`', async () => {
      server = await startProcess(process.execPath, [
        BIN,
        ...[
          '--anonymous',
          '--root',
          dir.path,
          '--port',
          '0',
          '--metrics',
          '127.0.0.1:0',
          '--log-format',
          'json',
        ],
        ...['--max-connections', '1000', '--max-per-ip', '1000'],
      ]);
      const port = Number((await server.waitForLine(/ftp:\/\/127\.0\.0\.1:(\d+)\//))[1]);
      const metrics = Number(
        /"port":(\d+)/.exec((await server.waitForLine(/^.*"msg":"metrics listening".*$/))[0])?.[1],
      );
      await burst(port);
      expect(await newSpaceBytes(metrics)).to.be.at.most(ONE_MIB_SEMI_SPACES);
    });

    it('keeps the young generation from growing in a program that embeds FtpServer', async () => {
      const script = join(dir.path, 'embed.mjs');
      await writeFile(
        script,
        `import { AnonymousAuthenticator, FtpServer, createLogger, defaultOptions } from ${JSON.stringify(
          join(REPO, 'build', 'src', 'server', 'index.js'),
        )};
const root = ${JSON.stringify(dir.path)};
const server = new FtpServer({
  options: { ...defaultOptions, root, port: 0, maxConnections: 1000, maxConnectionsPerIp: 1000,
    metrics: { host: '127.0.0.1', port: 0 } },
  authenticator: new AnonymousAuthenticator({ root, writable: false }),
  anonymousEnabled: true,
  logger: createLogger('warn'),
});
const { port } = await server.listen();
console.log(JSON.stringify({ port, metrics: server.metricsAddress().port }));
`,
      );
      server = await startProcess(process.execPath, [script]);
      const { port, metrics } = JSON.parse((await server.waitForLine(/^\{"port".*$/))[0]) as {
        port: number;
        metrics: number;
      };
      const before = await newSpaceBytes(metrics);
      await burst(port);
      expect(await newSpaceBytes(metrics)).to.equal(before);
    });
  });
});
