// Names are UTF-8 on the wire (RFC 2640): bytes that are not would collapse into U+FFFD.
import { expect } from 'chai';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type TestServer } from '../helpers/start-server.js';

describe('names that are not valid UTF-8', function () {
  let server: TestServer;
  let control: RawControl;

  beforeEach(async function () {
    server = await startServer();
    control = await RawControl.connect(server.host, server.port);
    await control.login(server.user, server.password);
  });

  afterEach(async function () {
    await control.close();
    await server.close();
  });

  /** Sends a command whose argument holds raw bytes. */
  async function raw(verb: string, arg: Buffer): Promise<number> {
    control.send(Buffer.concat([Buffer.from(`${verb} `), arg, Buffer.from('\r\n')]));
    return (await control.read()).code;
  }

  it('refuses them with 553, so that two of them can never name one file', async function () {
    expect(await raw('MKD', Buffer.from([0x61, 0x80]))).to.equal(553);
    expect(await raw('MKD', Buffer.from([0x61, 0x81]))).to.equal(553);
    expect(await raw('CWD', Buffer.from([0xc3, 0x28]))).to.equal(553);
    expect(await readdir(server.root)).to.deep.equal([]);
    // Valid UTF-8 works, U+FFFD itself included.
    expect(await raw('MKD', Buffer.from('café', 'utf8'))).to.equal(257);
    expect(await raw('MKD', Buffer.from('a\uFFFD', 'utf8'))).to.equal(257);
    expect((await readdir(server.root)).sort()).to.deep.equal(['a\uFFFD', 'café'].sort());
    expect((await control.command('NOOP')).code).to.equal(200);
  });

  it('leaves names on disk that are not UTF-8 out of listings', async function () {
    await mkdir(join(server.root, 'dir'));
    await writeFile(Buffer.from(`${join(server.root, 'dir')}/bad-\xE9`, 'latin1'), 'latin-1 name');
    await writeFile(join(server.root, 'dir', 'good-é'), 'utf-8 name');
    const { data } = await control.passive(server.host, true);
    expect((await control.command('NLST dir')).code).to.equal(150);
    const names = (await data).toString('utf8').split('\r\n').filter(Boolean);
    expect((await control.read()).code).to.equal(226);
    expect(names.map((name) => name.replace(/^dir\//, ''))).to.deep.equal(['good-é']);
  });
});
