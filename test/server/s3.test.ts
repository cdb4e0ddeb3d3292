// ftpkitd on an S3 engine: the real command serving users-file accounts in their prefixes, with no
// folder made on disk; the engine stopping during an upload (a clear 451, the old object untouched)
// and coming back (the next upload works); a bucket that is not there stopping the start.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, startProcess } from '../helpers/process.js';
import { upsertUser } from '../../src/server/auth/users-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { makeTestStore } from '../helpers/stores.js';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { requireStore } from '../helpers/stores.js';
import { sharedSwift, SWIFT_CREDENTIALS } from '../helpers/swift.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ftpkitd.js');

describe('ftpkitd on an S3 engine', function () {
  let server: TestServer;
  let control: RawControl;

  before(function () {
    requireStore(this, 's3');
  });

  beforeEach(async function () {
    server = await startServer({ store: 's3', s3: { partSize: 5 * 1024 * 1024 } });
    control = await RawControl.connect(server.host, server.port);
    await control.login(server.user, server.password);
    await control.command('TYPE I');
  });

  afterEach(async function () {
    await control.close();
    await server.close();
    // Whatever happened, the next suite finds the engine up.
    await (await sharedSwift()).startProxy();
  });

  it('stopping during a STOR gives 451 and no half object; the next STOR works once it is back', async function () {
    this.timeout(60_000);
    const swift = await sharedSwift();
    await server.files.write('data.bin', 'the old content');
    const { socket } = await control.passive(server.host, true);
    expect((await control.command('STOR data.bin')).code).to.equal(150);
    // More than a part: the multipart upload is under way when the engine goes.
    await new Promise<void>((done, fail) =>
      socket.write(Buffer.alloc(6 * 1024 * 1024, 1), (err) => (err ? fail(err) : done())),
    );
    await swift.stopProxy();
    socket.end(Buffer.alloc(1024 * 1024, 2));
    const failed = await control.read();
    expect(failed.code, failed.text).to.equal(451);
    // Neither where the engine is nor what the SDK said reaches the client.
    expect(failed.text).not.to.match(/127\.0\.0\.1|http|ECONN|S3|Swift/i);
    expect((await control.command('SIZE data.bin')).code).to.equal(451);

    await swift.startProxy();
    expect((await control.command('SIZE data.bin')).text).to.equal('15');
    expect((await server.files.read('data.bin')).toString()).to.equal('the old content');
    const again = await control.passive(server.host, true);
    expect((await control.command('STOR data.bin')).code).to.equal(150);
    again.socket.end('the new content');
    expect((await control.read()).code).to.equal(226);
    expect((await server.files.read('data.bin')).toString()).to.equal('the new content');
  });

  it('ftpkitd --store serves each account of a users file in its home prefix (curl)', async function () {
    this.timeout(60_000);
    const swift = await sharedSwift();
    const dir = await makeTempDir('s3-cli');
    // A fresh bucket, and a client on it to look with.
    const bucket = await makeTestStore('s3', dir.path);
    try {
      const users = `${dir.path}/users.json`;
      await upsertUser(users, { name: 'alice', password: 'pw-alice', home: 'alice' });
      const name = bucket.bucket ?? '';
      const proc = await startProcess(
        process.execPath,
        [
          BIN,
          '--store',
          `s3://${name}/site`,
          '--s3-endpoint',
          swift.endpoint,
          '--s3-path-style',
          '--users',
          users,
          '--root',
          `${dir.path}/root`,
          '--port',
          '0',
          '--log-level',
          'warn',
        ],
        {
          env: {
            AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
          },
        },
      );
      try {
        const port = Number((await proc.waitForLine(/on ftp:\/\/[^/]*:(\d+)\//, { timeoutMs: 20_000 }))[1]);
        const url = `ftp://alice:pw-alice@127.0.0.1:${port}`;
        const up = await run('curl', ['-sS', '--ftp-create-dirs', '-T', '-', `${url}/docs/a.txt`], {
          input: 'hello s3',
        });
        expect(up.code, up.stderr).to.equal(0);
        const down = await run('curl', ['-sS', `${url}/docs/a.txt`]);
        expect(down.stdout).to.equal('hello s3');
        const list = await run('curl', ['-sS', '-l', `${url}/docs/`]);
        expect(list.stdout).to.equal('a.txt\n');
        expect(await bucket.files.names()).to.deep.equal(['site/alice/docs/', 'site/alice/docs/a.txt']);
        // Homes are prefixes: nothing was made on disk for them, not even the root.
        expect(existsSync(`${dir.path}/root`)).to.equal(false);
      } finally {
        await proc.stop();
      }
    } finally {
      bucket.close();
      await dir.remove();
    }
  });

  it('a bucket that does not exist stops ftpkitd at start with one clear line', async function () {
    const swift = await sharedSwift();
    const result = await run(
      process.execPath,
      [
        BIN,
        '--store',
        's3://no-such-bucket/base',
        '--s3-endpoint',
        swift.endpoint,
        '--s3-path-style',
        '--port',
        '0',
      ],
      {
        env: {
          AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
        },
        timeoutMs: 20_000,
      },
    );
    expect(result.code).to.equal(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).to.have.length(1);
    expect(lines[0]).to.match(
      /^ftpkitd: the bucket of s3:\/\/no-such-bucket\/base does not exist at http:\/\/127\.0\.0\.1:\d+$/,
    );
  });
});
