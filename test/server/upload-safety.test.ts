// Uploads racing other sessions: a file appears under its name only whole, at the moment its
// upload succeeds; an upload that fails never touches what another session put there.
import { expect } from 'chai';
import { once } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { UPLOAD_TEMP_PREFIX } from '../../src/server/fs/confine.js';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type TestServer } from '../helpers/start-server.js';

/** A logged-in session that has started `STOR name` (150 read) and holds its data connection. */
async function uploading(server: TestServer, name: string): Promise<{ control: RawControl; data: Socket }> {
  const control = await RawControl.connect(server.host, server.port);
  await control.login(server.user, server.password);
  const { socket } = await control.passive(server.host, true);
  const started = await control.command(`STOR ${name}`);
  expect(started.code, started.text).to.equal(150);
  return { control, data: socket };
}

async function session(server: TestServer): Promise<RawControl> {
  const control = await RawControl.connect(server.host, server.port);
  await control.login(server.user, server.password);
  return control;
}

/** Uploads `content` to `name` whole over `control`; resolves with the final reply's code. */
async function upload(
  control: RawControl,
  server: TestServer,
  name: string,
  content: string,
): Promise<number> {
  const { socket } = await control.passive(server.host, true);
  const started = await control.command(`STOR ${name}`);
  expect(started.code, started.text).to.equal(150);
  socket.end(content);
  return (await control.read()).code;
}

/** Sends bytes on a data connection and waits until they have left this side. */
async function sendSome(data: Socket, bytes: string): Promise<void> {
  await new Promise<void>((resolve, reject) => data.write(bytes, (err) => (err ? reject(err) : resolve())));
  // Long enough for the server to have read and written them.
  await new Promise((resolve) => setTimeout(resolve, 50));
}

async function leftovers(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).filter((name) => name.includes(UPLOAD_TEMP_PREFIX));
}

describe('uploads racing other sessions', function () {
  let server: TestServer;
  const controls: RawControl[] = [];
  const track = <T extends { control: RawControl } | RawControl>(value: T): T => {
    controls.push(value instanceof RawControl ? value : value.control);
    return value;
  };

  beforeEach(async function () {
    server = await startServer();
  });

  afterEach(async function () {
    for (const control of controls.splice(0)) await control.close();
    await server.close();
  });

  it('an upload in progress is not visible under its name, then appears whole', async function () {
    const a = track(await uploading(server, 'growing.txt'));
    await sendSome(a.data, 'the first half, ');
    const b = track(await session(server));
    expect((await b.command('SIZE growing.txt')).code).to.equal(550);
    expect((await b.command('MLST growing.txt')).code).to.equal(550);
    const end = once(a.data, 'close');
    a.data.end('and the second half');
    await end;
    expect((await a.control.read()).code).to.equal(226);
    expect(await readFile(join(server.root, 'growing.txt'), 'utf8')).to.equal(
      'the first half, and the second half',
    );
    expect(await leftovers(server.root)).to.deep.equal([]);
  });

  for (const how of ['ABOR', 'a dropped connection'] as const) {
    it(`an upload aborted by ${how} leaves the file another session finished meanwhile`, async function () {
      const a = track(await uploading(server, 'shared.txt'));
      await sendSome(a.data, 'partial bytes from A');
      const b = track(await session(server));
      expect(await upload(b, server, 'shared.txt', 'B finished this file')).to.equal(226);
      if (how === 'ABOR') {
        a.control.send('ABOR\r\n');
        expect((await a.control.read()).code).to.equal(426);
        expect((await a.control.read()).code).to.equal(226);
      } else {
        // The control connection goes first: the data connection's end alone would read as the
        // end of the file.
        await a.control.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        a.data.destroy();
        // The server's cleanup runs after the close.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await readFile(join(server.root, 'shared.txt'), 'utf8')).to.equal('B finished this file');
      expect(await leftovers(server.root)).to.deep.equal([]);
    });
  }

  it('the same after DELE and a new upload by the other session', async function () {
    await writeFile(join(server.root, 'old.txt'), 'old content');
    const a = track(await uploading(server, 'old.txt'));
    await sendSome(a.data, 'partial');
    const b = track(await session(server));
    expect((await b.command('DELE old.txt')).code).to.equal(250);
    expect(await upload(b, server, 'old.txt', 'fresh from B')).to.equal(226);
    a.control.send('ABOR\r\n');
    expect((await a.control.read()).code).to.equal(426);
    expect((await a.control.read()).code).to.equal(226);
    expect(await readFile(join(server.root, 'old.txt'), 'utf8')).to.equal('fresh from B');
  });

  it('an upload cannot be renamed away while it runs, and an aborted one leaves nothing anywhere', async function () {
    const a = track(await uploading(server, 'moving.txt'));
    await sendSome(a.data, 'partial');
    const b = track(await session(server));
    expect((await b.command('RNFR moving.txt')).code).to.equal(550);
    a.control.send('ABOR\r\n');
    expect((await a.control.read()).code).to.equal(426);
    expect((await a.control.read()).code).to.equal(226);
    expect(await readdir(server.root)).to.deep.equal([]);
  });

  it('DELE racing an upload finds nothing to delete, and the upload lands whole with its 226', async function () {
    const a = track(await uploading(server, 'raced.txt'));
    await sendSome(a.data, 'one, ');
    const b = track(await session(server));
    expect((await b.command('DELE raced.txt')).code).to.equal(550);
    const end = once(a.data, 'close');
    a.data.end('two');
    await end;
    expect((await a.control.read()).code).to.equal(226);
    expect(await readFile(join(server.root, 'raced.txt'), 'utf8')).to.equal('one, two');
  });

  it('two uploads of one name both succeed, and the file is one of them whole', async function () {
    const a = track(await uploading(server, 'twice.txt'));
    const b = track(await uploading(server, 'twice.txt'));
    await sendSome(a.data, 'A'.repeat(1000));
    await sendSome(b.data, 'B'.repeat(1000));
    a.data.end('A'.repeat(1000));
    b.data.end('B'.repeat(1000));
    expect((await a.control.read()).code).to.equal(226);
    expect((await b.control.read()).code).to.equal(226);
    expect(['A'.repeat(2000), 'B'.repeat(2000)]).to.include(
      await readFile(join(server.root, 'twice.txt'), 'utf8'),
    );
    expect(await leftovers(server.root)).to.deep.equal([]);
  });
});
