// The package as a user installs it: `npm pack`, unpacked into a project of its own, compiled by
// TypeScript under `nodenext` and `bundler` resolution against the shipped declarations, and run:
// ESM through the entry points, CommonJS through require(esm), and the client without the server.
import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../helpers/process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { installTarball, ok, pack, ROOT } from './packed.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const CONSUMER = `import { Readable } from 'node:stream';
import { FtpClient, FtpReplyError, Reply, type FileEntry } from 'ftpkit';
import { AnonymousAuthenticator, FtpServer, createLogger, defaultOptions } from 'ftpkit/server';
import { parseListing } from 'ftpkit/protocol';

const root = process.argv[2] ?? '.';
const server = new FtpServer({
  options: { ...defaultOptions, root, host: '127.0.0.1', port: 0, logLevel: 'silent' },
  authenticator: new AnonymousAuthenticator({ root, writable: true }),
  logger: createLogger('silent', process.stderr),
  anonymousEnabled: true,
});
const { port } = await server.listen();
const client = await FtpClient.connect({ host: '127.0.0.1', port });
try {
  await client.upload(Readable.from(['hello from a consumer\\n']), 'hello.txt');
  const entries: FileEntry[] = await client.list();
  let refused = 0;
  try {
    await client.size('missing.txt');
  } catch (error) {
    if (!(error instanceof FtpReplyError) || error.replyCode !== Reply.FileUnavailable) throw error;
    refused = error.replyCode;
  }
  const parsed = parseListing('type=file;size=1; x').map((entry) => entry.name);
  console.log(JSON.stringify({ names: entries.map((entry) => entry.name), refused, parsed }));
} finally {
  await client.close();
  await server.close(1000);
}
`;

const COMMONJS = `const ftpkit = require('ftpkit');
console.log(JSON.stringify({ client: typeof ftpkit.FtpClient, reply: ftpkit.Reply.FileUnavailable }));
`;

// Records every module the process loads, to show what importing the client pulls in.
const RECORD_HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.RECORD_TO, resolved.url + '\\n');
  return resolved;
}
`;

const CLIENT_ONLY = `import { register } from 'node:module';
register('./record-hooks.mjs', import.meta.url);
const { FtpClient } = await import('ftpkit');
console.log(typeof FtpClient);
`;

function tsconfig(resolution: 'nodenext' | 'bundler'): unknown {
  const common = { target: 'ES2022', strict: true, types: ['node'], skipLibCheck: false };
  return resolution === 'nodenext'
    ? {
        compilerOptions: { ...common, module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out' },
        files: ['index.ts'],
      }
    : {
        compilerOptions: { ...common, module: 'ESNext', moduleResolution: 'Bundler', noEmit: true },
        files: ['index.ts'],
      };
}

describe('package: a consumer project against the packed package', function () {
  this.timeout(120_000);
  let dir: TempDir;
  let project: string;

  before(async function () {
    dir = await makeTempDir('package-consumer');
    project = join(dir.path, 'consumer');
    // The files `npm publish` would ship, as built by the test run.
    const tarball = await pack(ROOT, dir.path, { scripts: false });
    await installTarball(tarball, project);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await writeFile(join(project, 'index.ts'), CONSUMER);
    await writeFile(join(project, 'require.cjs'), COMMONJS);
    await writeFile(join(project, 'record-hooks.mjs'), RECORD_HOOKS);
    await writeFile(join(project, 'client-only.mjs'), CLIENT_ONLY);
    await mkdir(join(project, 'served'));
  });

  after(async function () {
    await dir.remove();
  });

  for (const resolution of ['nodenext', 'bundler'] as const) {
    it(`type-checks against the shipped declarations under ${resolution} resolution`, async function () {
      const config = join(project, `tsconfig.${resolution}.json`);
      await writeFile(config, JSON.stringify(tsconfig(resolution)));
      ok(
        await run(process.execPath, [TSC, '-p', config], { cwd: project, timeoutMs: 60_000 }),
        `tsc ${resolution}`,
      );
    });
  }

  it('runs: an ftpkitd from ftpkit/server, the client from ftpkit, the codec from ftpkit/protocol', async function () {
    ok(
      await run(process.execPath, [TSC, '-p', join(project, 'tsconfig.nodenext.json')], { cwd: project }),
      'tsc',
    );
    const served = join(project, 'served');
    const result = ok(
      await run(process.execPath, [join(project, 'out', 'index.js'), served], { cwd: project }),
      'node',
    );
    expect(JSON.parse(result.stdout)).to.deep.equal({ names: ['hello.txt'], refused: 550, parsed: ['x'] });
    expect(await readFile(join(served, 'hello.txt'), 'utf8')).to.equal('hello from a consumer\n');
  });

  it('loads from CommonJS with require() (Node >= 20.19 requires ES modules)', async function () {
    const result = ok(
      await run(process.execPath, [join(project, 'require.cjs')], { cwd: project }),
      'require',
    );
    expect(JSON.parse(result.stdout.trim())).to.deep.equal({ client: 'function', reply: 550 });
  });

  it('importing the client loads neither the server nor its dependencies', async function () {
    const record = join(dir.path, 'loaded.txt');
    await writeFile(record, '');
    const result = ok(
      await run(process.execPath, [join(project, 'client-only.mjs')], {
        cwd: project,
        env: { RECORD_TO: record },
      }),
      'client only',
    );
    expect(result.stdout.trim()).to.equal('function');
    const loaded = (await readFile(record, 'utf8')).split('\n').filter((url) => url !== '');
    expect(loaded.some((url) => url.includes('/ftpkit/build/src/client/'))).to.equal(true);
    expect(loaded.filter((url) => /\/build\/src\/server\/|\/(pino|prom-client)\//.test(url))).to.deep.equal(
      [],
    );
  });
});
