// Uploads racing other sessions: a file appears under its name only whole, at the moment its
// upload succeeds; an upload that fails never touches what another session put there.
import { expect } from 'chai';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { requireStore, STORES } from '../helpers/stores.js';

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

/**
 * STOR of `body` that the server should refuse: the final reply's code, whether the refusal comes
 * in place of the 150 or after it (a store may check while the bytes come).
 */
async function refusedUpload(
  control: RawControl,
  server: TestServer,
  name: string,
  body: Buffer,
): Promise<number> {
  const { socket } = await control.passive(server.host, true);
  const started = await control.command(`STOR ${name}`);
  if (started.code !== 150) {
    socket.destroy();
    return started.code;
  }
  // The server may close the connection before it has all of it: a write error is no failure here.
  socket.end(body);
  return (await control.read()).code;
}

/** Sends bytes on a data connection and waits until they have left this side. */
async function sendSome(data: Socket, bytes: string): Promise<void> {
  await new Promise<void>((resolve, reject) => data.write(bytes, (err) => (err ? reject(err) : resolve())));
  // Long enough for the server to have read and written them.
  await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Polls an asynchronous condition every 50 ms for up to 10 s. */
async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function text(server: TestServer, name: string): Promise<string> {
  return (await server.files.read(name)).toString('utf8');
}

for (const store of STORES)
  describe(`uploads racing other sessions (${store} store)`, function () {
    let server: TestServer;
    const controls: RawControl[] = [];
    const track = <T extends { control: RawControl } | RawControl>(value: T): T => {
      controls.push(value instanceof RawControl ? value : value.control);
      return value;
    };

    before(function () {
      requireStore(this, store);
    });

    beforeEach(async function () {
      // Parts of 5 MiB, S3's least: a test can then cut a multipart upload short cheaply.
      server = await startServer({ store, s3: { partSize: 5 * 1024 * 1024 } });
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
      expect(await text(server, 'growing.txt')).to.equal('the first half, and the second half');
      expect(await server.files.leftovers()).to.deep.equal([]);
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
        expect(await text(server, 'shared.txt')).to.equal('B finished this file');
        expect(await server.files.leftovers()).to.deep.equal([]);
      });
    }

    it('the same after DELE and a new upload by the other session', async function () {
      await server.files.write('old.txt', 'old content');
      const a = track(await uploading(server, 'old.txt'));
      await sendSome(a.data, 'partial');
      const b = track(await session(server));
      expect((await b.command('DELE old.txt')).code).to.equal(250);
      expect(await upload(b, server, 'old.txt', 'fresh from B')).to.equal(226);
      a.control.send('ABOR\r\n');
      expect((await a.control.read()).code).to.equal(426);
      expect((await a.control.read()).code).to.equal(226);
      expect(await text(server, 'old.txt')).to.equal('fresh from B');
    });

    it('an upload cannot be renamed away while it runs, and an aborted one leaves nothing anywhere', async function () {
      const a = track(await uploading(server, 'moving.txt'));
      await sendSome(a.data, 'partial');
      const b = track(await session(server));
      expect((await b.command('RNFR moving.txt')).code).to.equal(550);
      a.control.send('ABOR\r\n');
      expect((await a.control.read()).code).to.equal(426);
      expect((await a.control.read()).code).to.equal(226);
      expect(await server.files.names()).to.deep.equal([]);
      expect(await server.files.leftovers()).to.deep.equal([]);
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
      expect(await text(server, 'raced.txt')).to.equal('one, two');
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
      expect(['A'.repeat(2000), 'B'.repeat(2000)]).to.include(await text(server, 'twice.txt'));
      expect(await server.files.leftovers()).to.deep.equal([]);
    });

    it('an upload cut short after more than one part leaves the old file and no parts behind', async function () {
      await server.files.write('big.bin', 'the old content');
      const a = track(await uploading(server, 'big.bin'));
      // Past one 5 MiB part: on S3 a multipart upload is under way when the client goes.
      const written = new Promise<void>((resolve, reject) =>
        a.data.write(Buffer.alloc(7 * 1024 * 1024, 1), (err) => (err ? reject(err) : resolve())),
      );
      await written;
      // The upload is under way: a temporary file, or a multipart upload with a part in it.
      await eventually(async () => (await server.files.leftovers()).length === 1, 'an upload in progress');
      const b = track(await session(server));
      expect((await b.command('SIZE big.bin')).text).to.equal('15');
      a.control.send('ABOR\r\n');
      expect((await a.control.read()).code).to.equal(426);
      expect((await a.control.read()).code).to.equal(226);
      expect(await text(server, 'big.bin')).to.equal('the old content');
      await eventually(async () => (await server.files.leftovers()).length === 0, 'no parts left behind');
    });

    it('STOR onto a directory (made by MKD, or a key prefix alone) or into a missing one is refused and writes nothing, small or past a part', async function () {
      this.timeout(60_000);
      await server.files.mkdir('marked');
      await server.files.write('implicit/inner', 'i');
      const before = await server.files.names();
      const control = track(await session(server));
      expect((await control.command('TYPE I')).code).to.equal(200);
      for (const body of [Buffer.from('small'), Buffer.alloc(7 * 1024 * 1024, 1)]) {
        for (const name of ['marked', 'implicit', 'nowhere/f.txt', 'implicit/inner/f.txt']) {
          expect(await refusedUpload(control, server, name, body), `${name}, ${body.length} bytes`).to.equal(
            550,
          );
        }
      }
      expect(await server.files.names()).to.deep.equal(before);
      await eventually(async () => (await server.files.leftovers()).length === 0, 'no parts left behind');
      expect(await upload(control, server, 'fine.txt', 'after all that')).to.equal(226);
      expect(await text(server, 'fine.txt')).to.equal('after all that');
    });
  });
