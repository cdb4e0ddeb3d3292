import { expect } from 'chai';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { constants, openSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RawControl, collect } from '../helpers/raw-control.js';
import { waitFor } from '../helpers/wait.js';
import { startServer, type TestServer, USER, PASSWORD, READER } from '../helpers/start-server.js';
import { onlyOn, requireStore, STORES } from '../helpers/stores.js';
import { encodeHostPort, parsePasvReply } from '../../src/protocol/address/port.js';
import { parseEpsvReply } from '../../src/protocol/address/epsv.js';
import { FileSink } from '../../src/server/fs/file-sink.js';
import { FileRange } from '../../src/server/fs/file-range.js';
import type { FileSystem, ReadSource, Upload } from '../../src/server/fs/file-system.js';
import { LocalFileSystem } from '../../src/server/fs/local.js';
import { FileUpload } from '../../src/server/fs/upload.js';

/** Listens like an active-mode client: resolves with the one connection the server makes. */
async function activeListener(
  host: string,
): Promise<{ port: number; accepted: Promise<Socket>; close(): void }> {
  const listener = createServer();
  listener.listen(0, host);
  await once(listener, 'listening');
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  return { port: (listener.address() as AddressInfo).port, accepted, close: () => listener.close() };
}

for (const host of ['127.0.0.1', '::1']) {
  describe(`server commands over ${host}`, function () {
    let server: TestServer;
    let control: RawControl;

    beforeEach(async function () {
      server = await startServer({ host });
      control = await RawControl.connect(host, server.port);
      await control.login(USER, PASSWORD);
    });

    afterEach(async function () {
      await control.close();
      await server.close();
    });

    it('downloads in active mode (PORT or EPRT): the server connects back', async function () {
      await writeFile(join(server.root, 'a.bin'), Buffer.alloc(100_000, 7));
      expect((await control.command('TYPE I')).code).to.equal(200);
      const listener = await activeListener(host);
      const command = host.includes(':')
        ? `EPRT |2|${host}|${listener.port}|`
        : `PORT ${encodeHostPort({ host, port: listener.port })}`;
      expect((await control.command(command)).code).to.equal(200);
      expect((await control.command('RETR a.bin')).code).to.equal(150);
      const data = await collect(await listener.accepted);
      expect((await control.read()).code).to.equal(226);
      expect(data.equals(Buffer.alloc(100_000, 7))).to.equal(true);
      listener.close();
    });

    it('uploads in active mode with EPRT', async function () {
      const listener = await activeListener(host);
      const family = host.includes(':') ? 2 : 1;
      expect((await control.command(`EPRT |${family}|${host}|${listener.port}|`)).code).to.equal(200);
      expect((await control.command('TYPE I')).code).to.equal(200);
      expect((await control.command('STOR up.bin')).code).to.equal(150);
      const socket = await listener.accepted;
      socket.end(Buffer.from('uploaded bytes'));
      expect((await control.read()).code).to.equal(226);
      expect(await readFile(join(server.root, 'up.bin'), 'utf8')).to.equal('uploaded bytes');
      listener.close();
    });

    it('uploads and downloads in passive mode (EPSV)', async function () {
      expect((await control.command('TYPE I')).code).to.equal(200);
      const up = await control.passive(host, true);
      expect((await control.command('STOR p.bin')).code).to.equal(150);
      up.socket.end('passive payload');
      expect((await control.read()).code).to.equal(226);
      const down = await control.passive(host, true);
      expect((await control.command('RETR p.bin')).code).to.equal(150);
      expect((await down.data).toString()).to.equal('passive payload');
      expect((await control.read()).code).to.equal(226);
    });
  });
}

for (const store of STORES)
  describe(`server commands on the ${store} store`, function () {
    let server: TestServer;
    let control: RawControl;

    before(function () {
      requireStore(this, store);
    });

    beforeEach(async function () {
      server = await startServer({ store });
      control = await RawControl.connect(server.host, server.port);
      await control.login(USER, PASSWORD);
    });

    afterEach(async function () {
      await control.close();
      await server.close();
    });

    async function upload(name: string, body: string | Buffer, verb = 'STOR'): Promise<number> {
      const { socket } = await control.passive(server.host);
      const first = await control.command(`${verb} ${name}`);
      if (first.code !== 150) return first.code;
      socket.end(body);
      return (await control.read()).code;
    }

    async function download(name: string): Promise<Buffer> {
      const { data } = await control.passive(server.host);
      expect((await control.command(`RETR ${name}`)).code).to.equal(150);
      const body = await data;
      expect((await control.read()).code).to.equal(226);
      return body;
    }

    it('sends a small file whole, then 150 and 226 in one write; a large one gets its 150 first', async function () {
      onlyOn(this, 'local', store, "the local disk's fast path");
      await control.command('TYPE I');
      await server.files.write('small.bin', Buffer.alloc(4096, 3));
      const small = await control.passive(server.host);
      const before = control.chunks.length;
      expect((await control.command('RETR small.bin')).code).to.equal(150);
      expect((await control.read()).code).to.equal(226);
      expect(control.chunks.slice(before)).to.have.length(1);
      expect((await small.data).equals(Buffer.alloc(4096, 3))).to.equal(true);

      await server.files.write('large.bin', Buffer.alloc(8 * 1024 * 1024, 4));
      const large = await control.passive(server.host);
      large.socket.pause();
      expect((await control.command('RETR large.bin')).code).to.equal(150);
      // The client has not read a byte yet: the 150 came alone, before the transfer could end.
      expect(control.chunks.at(-1)).to.match(/^150 [^\n]*\r\n$/);
      large.socket.resume();
      expect((await large.data).length).to.equal(8 * 1024 * 1024);
      expect((await control.read()).code).to.equal(226);
    });

    it('answers a flood of commands in order when its replies pile up, and keeps serving', async function () {
      onlyOn(this, 'local', store, 'not about storage');
      // 20,000 HELP replies are megabytes: far more than the socket takes at once, so the session
      // has to stop reading and wait for the client to catch up, several times over.
      const count = 20_000;
      control.send('HELP\r\n'.repeat(count) + 'NOOP\r\n');
      for (let i = 0; i < count; i++) {
        const reply = await control.read();
        if (reply.code !== 214) expect.fail(`reply ${i}: ${reply.code} ${reply.text}`);
      }
      expect((await control.read()).code).to.equal(200);
      expect((await control.command('PWD')).code).to.equal(257);
    });

    it('REST before STOR resumes at the offset and keeps the head', async function () {
      await control.command('TYPE I');
      await server.files.write('r.txt', 'HEAD-0123456789');
      expect((await control.command('REST 5')).code).to.equal(350);
      expect(await upload('r.txt', 'abcdefghij')).to.equal(226);
      expect((await server.files.read('r.txt')).toString()).to.equal('HEAD-abcdefghij');
    });

    it('REST before RETR sends from the offset', async function () {
      await control.command('TYPE I');
      await server.files.write('r.txt', '0123456789');
      expect((await control.command('REST 4')).code).to.equal(350);
      expect((await download('r.txt')).toString()).to.equal('456789');
      // REST applies to one transfer only
      expect((await download('r.txt')).toString()).to.equal('0123456789');
      expect((await control.command('REST -1')).code).to.equal(501);
    });

    it('a large file, whole and from a REST offset, binary and TYPE A: every byte as on disk', async function () {
      // Lines of varying length, so that TYPE A's CRLFs land across every buffer boundary.
      const lines: string[] = [];
      for (let i = 0; lines.length < 60_000; i++) lines.push(`${i} ${'x'.repeat(i % 97)}`);
      const content = Buffer.from(lines.join('\n') + '\n');
      await server.files.write('large.txt', content);
      const offset = 1_234_567;
      await control.command('TYPE I');
      expect((await download('large.txt')).equals(content)).to.equal(true);
      expect((await control.command(`REST ${offset}`)).code).to.equal(350);
      expect((await download('large.txt')).equals(content.subarray(offset))).to.equal(true);
      await control.command('TYPE A');
      const crlf = (bytes: Buffer): string => bytes.toString('latin1').replaceAll('\n', '\r\n');
      expect((await download('large.txt')).toString('latin1')).to.equal(crlf(content));
      expect((await control.command(`REST ${offset}`)).code).to.equal(350);
      expect((await download('large.txt')).toString('latin1')).to.equal(crlf(content.subarray(offset)));
    });

    it('APPE appends and STOU picks a unique name', async function () {
      await control.command('TYPE I');
      await server.files.write('log.txt', 'one\n');
      expect(await upload('log.txt', 'two\n', 'APPE')).to.equal(226);
      expect((await server.files.read('log.txt')).toString()).to.equal('one\ntwo\n');
      const { socket } = await control.passive(server.host);
      const opening = await control.command('STOU log.txt');
      expect(opening.code).to.equal(150);
      socket.end('unique');
      const done = await control.read();
      expect(done.code).to.equal(226);
      const name = /FILE: (\S+)/.exec(opening.text)?.[1];
      expect(name).to.be.a('string').and.not.equal('log.txt');
      expect((await server.files.read(name!)).toString()).to.equal('unique');
    });

    it('TYPE A converts line endings both ways', async function () {
      expect((await control.command('TYPE A')).code).to.equal(200);
      expect(await upload('t.txt', 'one\r\ntwo\r\n')).to.equal(226);
      expect((await server.files.read('t.txt')).toString()).to.equal('one\ntwo\n');
      expect((await download('t.txt')).toString()).to.equal('one\r\ntwo\r\n');
      expect((await control.command('TYPE I')).code).to.equal(200);
      expect((await download('t.txt')).toString()).to.equal('one\ntwo\n');
      expect((await control.command('TYPE E')).code).to.equal(504);
      expect((await control.command('MODE B')).code).to.equal(504);
      expect((await control.command('STRU R')).code).to.equal(504);
      expect((await control.command('MODE S')).code).to.equal(200);
      expect((await control.command('STRU F')).code).to.equal(200);
      expect((await control.command('ALLO 100')).code).to.equal(202);
    });

    it('ABOR during a download answers 426 then 226 and the session goes on', async function () {
      await control.command('TYPE I');
      await server.files.write('big.bin', Buffer.alloc(64 * 1024 * 1024));
      const { socket } = await control.passive(server.host);
      socket.pause(); // a slow reader keeps the transfer running
      expect((await control.command('RETR big.bin')).code).to.equal(150);
      const stat = await control.command('STAT');
      expect(stat.code).to.equal(211);
      expect(stat.text).to.match(/Transfer in progress/);
      control.send('ABOR\r\n');
      expect((await control.read()).code).to.equal(426);
      expect((await control.read()).code).to.equal(226);
      socket.destroy();
      expect((await control.command('NOOP')).code).to.equal(200);
      expect((await control.command('ABOR')).code).to.equal(225);
    });

    it('ABOR while RETR waits for the passive connection answers 426 then 226 and closes the port', async function () {
      await server.files.write('small.txt', 'hello');
      const pasv = await control.command('PASV');
      expect(pasv.code).to.equal(227);
      const { port } = parsePasvReply(pasv.text);
      control.send('RETR small.txt\r\n');
      // RETR is waiting for a connection that never comes: no 150 yet.
      expect((await control.command('STAT')).text).to.match(/Transfer in progress/);
      control.send('ABOR\r\n');
      expect((await control.read()).code).to.equal(426);
      expect((await control.read()).code).to.equal(226);
      const late = createConnection({ host: server.host, port });
      const [error] = (await once(late, 'error')) as [NodeJS.ErrnoException];
      expect(error.code).to.equal('ECONNREFUSED');
      expect((await control.command('NOOP')).code).to.equal(200);
    });

    it('handles directories: MKD CWD CDUP PWD RMD RNFR RNTO DELE', async function () {
      expect((await control.command('MKD sub')).text).to.contain('"/sub"');
      expect((await control.command('CWD sub')).code).to.equal(250);
      expect((await control.command('PWD')).text).to.contain('"/sub"');
      expect((await control.command('XPWD')).text).to.contain('"/sub"');
      expect(await upload('f.txt', 'x')).to.equal(226);
      expect((await control.command('CDUP')).code).to.equal(250);
      expect((await control.command('PWD')).text).to.contain('"/"');
      expect((await control.command('RMD sub')).code).to.equal(550);
      expect((await control.command('RNFR sub/f.txt')).code).to.equal(350);
      expect((await control.command('RNTO g.txt')).code).to.equal(250);
      expect((await control.command('RNTO h.txt')).code).to.equal(503);
      expect((await control.command('RMD sub')).code).to.equal(250);
      expect((await control.command('DELE g.txt')).code).to.equal(250);
      expect((await control.command('DELE g.txt')).code).to.equal(550);
      expect((await control.command('CWD nowhere')).code).to.equal(550);
    });

    it('renames a directory with what it holds, and refuses moves and deletes a disk would refuse', async function () {
      expect((await control.command('MKD a')).code).to.equal(257);
      expect((await control.command('MKD a/b')).code).to.equal(257);
      expect(await upload('a/x.txt', 'in a')).to.equal(226);
      expect(await upload('a/b/y.txt', 'in b')).to.equal(226);
      expect((await control.command('MKD nowhere/c')).code).to.equal(550);
      expect((await control.command('RNFR a')).code).to.equal(350);
      expect((await control.command('RNTO a/b/inside')).code).to.equal(550);
      expect((await control.command('RNFR a')).code).to.equal(350);
      expect((await control.command('RNTO c')).code).to.equal(250);
      expect((await control.command('CWD a')).code).to.equal(550);
      expect((await download('c/b/y.txt')).toString()).to.equal('in b');
      expect((await control.command('DELE c')).code).to.equal(550);
      expect((await control.command('RMD c')).code).to.equal(550);
      expect((await control.command('DELE c/x.txt')).code).to.equal(250);
      expect((await control.command('DELE c/b/y.txt')).code).to.equal(250);
      // Emptied by deletes, both directories stay until RMD.
      expect((await control.command('CWD c/b')).code).to.equal(250);
      expect((await control.command('CDUP')).code).to.equal(250);
      expect((await control.command('RMD b')).code).to.equal(250);
      expect((await control.command('CDUP')).code).to.equal(250);
      expect((await control.command('RMD c')).code).to.equal(250);
      expect(await server.files.names()).to.deep.equal([]);
    });

    it('answers SIZE, MDTM and MFMT', async function () {
      await server.files.write('s.txt', '12345');
      expect((await control.command('SIZE s.txt')).text).to.equal('5');
      expect((await control.command('MFMT 20200102030405 s.txt')).code).to.equal(213);
      expect((await control.command('MDTM s.txt')).text).to.equal('20200102030405');
      expect((await server.files.modified('s.txt')).toISOString()).to.equal('2020-01-02T03:04:05.000Z');
      expect((await control.command('MFMT 20201302030405 s.txt')).code).to.equal(501);
      await server.files.mkdir('dir');
      expect((await control.command('SIZE dir')).code).to.equal(550);
    });

    it('lists with LIST, NLST, MLSD, MLST and STAT', async function () {
      await server.files.write('file one.txt', 'abc');
      await server.files.write('.hidden', 'h');
      await server.files.mkdir('folder');
      const list = await control.passive(server.host);
      expect((await control.command('LIST')).code).to.equal(150);
      const listing = (await list.data).toString();
      expect((await control.read()).code).to.equal(226);
      expect(listing).to.match(/^-rw.* 3 .* file one\.txt\r$/m);
      expect(listing).to.match(/^d.* folder\r$/m);
      expect(listing).not.to.contain('.hidden');
      const all = await control.passive(server.host);
      expect((await control.command('LIST -la')).code).to.equal(150);
      expect((await all.data).toString()).to.contain('.hidden');
      expect((await control.read()).code).to.equal(226);
      const nlst = await control.passive(server.host);
      expect((await control.command('NLST')).code).to.equal(150);
      expect((await nlst.data).toString().split('\r\n').filter(Boolean).sort()).to.deep.equal([
        'file one.txt',
        'folder',
      ]);
      expect((await control.read()).code).to.equal(226);
      const mlsd = await control.passive(server.host);
      expect((await control.command('MLSD')).code).to.equal(150);
      const machine = (await mlsd.data).toString();
      expect((await control.read()).code).to.equal(226);
      expect(machine).to.match(/type=file;.*size=3;.* file one\.txt\r\n/i);
      expect(machine).to.match(/type=dir;.* folder\r\n/i);
      const mlst = await control.command('MLST file one.txt');
      expect(mlst.code).to.equal(250);
      expect(mlst.lines.some((l) => /type=file;.*size=3;.* \/file one\.txt$/i.test(l))).to.equal(true);
      const stat = await control.command('STAT folder');
      expect(stat.code).to.equal(212);
      const statFile = await control.command('STAT file one.txt');
      expect(statFile.code).to.equal(213);
      expect(statFile.text).to.contain('file one.txt');
    });

    it('advertises its features and honours OPTS', async function () {
      onlyOn(this, 'local', store, 'not about storage');
      const feat = await control.command('FEAT');
      for (const f of ['EPRT', 'EPSV', 'MDTM', 'MFMT', 'PASV', 'REST STREAM', 'SIZE', 'UTF8', 'TVFS']) {
        expect(
          feat.lines.map((l) => l.trim()),
          f,
        ).to.include(f);
      }
      expect(feat.lines.some((l) => /^ MLST type\*;size\*;/.test(l))).to.equal(true);
      expect((await control.command('OPTS UTF8 ON')).code).to.equal(200);
      expect((await control.command('OPTS MLST type;size;')).code).to.equal(200);
      await server.files.write('a', 'abc');
      const mlst = await control.command('MLST a');
      expect(mlst.lines[1]).to.match(/^ type=file;size=3; \/a$/);
      expect((await control.command('OPTS BOGUS')).code).to.equal(501);
      expect((await control.command('HELP RETR')).text).to.contain('RETR');
    });

    it('honours EPSV ALL', async function () {
      onlyOn(this, 'local', store, 'not about storage');
      expect((await control.command('EPSV ALL')).code).to.equal(200);
      expect((await control.command('PASV')).code).to.equal(503);
      expect((await control.command('PORT 127,0,0,1,200,1')).code).to.equal(503);
      expect((await control.command('EPSV')).code).to.equal(229);
    });

    it('refuses writes for read-only accounts and anonymous users by default', async function () {
      const reader = await RawControl.connect(server.host, server.port);
      await reader.login(READER, PASSWORD);
      for (const line of [
        'STOR x',
        'APPE x',
        'MKD d',
        'DELE x',
        'RMD d',
        'RNFR x',
        'MFMT 20200101000000 x',
        'STOU',
      ]) {
        expect((await reader.command(line)).code, line).to.equal(550);
      }
      expect((await reader.command('PWD')).code).to.equal(257);
      await reader.close();
      const anon = await RawControl.connect(server.host, server.port);
      expect((await anon.command('USER anonymous')).code).to.equal(331);
      expect((await anon.command('PASS guest@example.com')).code).to.equal(530);
      await anon.close();
    });

    it('keeps the listener of a passive transfer for the next PASV, and closes it on PORT, REIN and QUIT', async function () {
      onlyOn(this, 'local', store, 'not about storage');
      const listeners = (): number =>
        process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap').length;
      const base = listeners();
      const gone = (): Promise<void> => waitFor(() => listeners() === base, 5000, 'no listener kept');
      await server.files.write('n.txt', 'next');
      const pasvPort = async (): Promise<number> => {
        const reply = await control.command('PASV');
        expect(reply.code).to.equal(227);
        return parsePasvReply(reply.text).port;
      };
      const fetchOn = async (port: number): Promise<string> => {
        const socket = createConnection({ host: server.host, port });
        expect((await control.command('RETR n.txt')).code).to.equal(150);
        const text = (await collect(socket)).toString();
        expect((await control.read()).code).to.equal(226);
        return text;
      };
      const port = await pasvPort();
      expect(await fetchOn(port)).to.equal('next');
      expect(listeners()).to.equal(base + 1);
      expect(await pasvPort()).to.equal(port);
      expect(await fetchOn(port)).to.equal('next');

      // Turning to active mode gives the port back.
      const active = await activeListener(server.host);
      expect(
        (await control.command(`PORT ${encodeHostPort({ host: server.host, port: active.port })}`)).code,
      ).to.equal(200);
      active.close();
      await gone();

      // A failed transfer keeps nothing: the next PASV gets a listener of its own.
      const failed = await pasvPort();
      const socket = createConnection({ host: server.host, port: failed }).on('error', () => undefined);
      expect((await control.command('RETR missing.txt')).code).to.equal(550);
      socket.destroy();
      expect(await fetchOn(await pasvPort())).to.equal('next');
      expect((await control.command('REIN')).code).to.equal(220);
      await gone();

      await control.login(USER, PASSWORD);
      expect(await fetchOn(await pasvPort())).to.equal('next');
      expect(listeners()).to.equal(base + 1);
      await control.close();
      await gone();
    });

    it('REIN logs out', async function () {
      onlyOn(this, 'local', store, 'not about storage');
      expect((await control.command('REIN')).code).to.equal(220);
      expect((await control.command('PWD')).code).to.equal(530);
    });
  });

describe('a disk that fills up during an upload', function () {
  let server: TestServer;
  let control: RawControl;

  /** The local folder, except that /full.bin is written to /dev/full, where every write fails with ENOSPC. */
  async function fullDisk(home: string): Promise<FileSystem> {
    const local = await LocalFileSystem.create(home);
    const write: FileSystem['write'] = (path, mode) =>
      path === '/full.bin'
        ? Promise.resolve(new FileUpload(new FileSink(openSync('/dev/full', constants.O_WRONLY))))
        : local.write(path, mode);
    return new Proxy(local, {
      get(target, key) {
        if (key === 'write') return write;
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  beforeEach(async function () {
    server = await startServer({ createFileSystem: (account) => fullDisk(account.home) });
    control = await RawControl.connect(server.host, server.port);
    await control.login(USER, PASSWORD);
    await control.command('TYPE I');
  });

  afterEach(async function () {
    await control.close();
    await server.close();
  });

  it('answers 452 (not a lost connection) and keeps serving', async function () {
    const full = await control.passive(server.host);
    expect((await control.command('STOR full.bin')).code).to.equal(150);
    full.socket.end(Buffer.alloc(64 * 1024, 1));
    const reply = await control.read();
    expect(reply.code).to.equal(452);
    expect(reply.text).to.match(/storage/i);

    expect((await control.command('NOOP')).code).to.equal(200);
    const fine = await control.passive(server.host);
    expect((await control.command('STOR fine.bin')).code).to.equal(150);
    fine.socket.end('fine');
    expect((await control.read()).code).to.equal(226);
    expect(await readFile(join(server.root, 'fine.bin'), 'utf8')).to.equal('fine');
  });
});

describe('a store that answers late, and a client that leaves meanwhile', function () {
  let server: TestServer;
  let opened: { body?: ReadSource['body']; upload?: Upload } = {};
  let answer: (() => void) | undefined;

  /** The local folder, except that read() and write() answer only when the test says so. */
  async function lateStore(home: string): Promise<FileSystem> {
    const local = await LocalFileSystem.create(home);
    const late = async <T>(open: () => Promise<T>, keep: (value: T) => void): Promise<T> => {
      await new Promise<void>((resolve) => (answer = resolve));
      const value = await open();
      keep(value);
      return value;
    };
    const overrides: Partial<FileSystem> = {
      read: (path, offset) =>
        late(
          () => local.read(path, offset),
          (source) => (opened.body = source.body),
        ),
      write: (path, mode) =>
        late(
          () => local.write(path, mode),
          (upload) => (opened.upload = upload),
        ),
    };
    return new Proxy(local, {
      get(target, key) {
        if (typeof key === 'string' && key in overrides) return overrides[key as keyof FileSystem];
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  beforeEach(async function () {
    opened = {};
    answer = undefined;
    server = await startServer({ createFileSystem: (account) => lateStore(account.home) });
  });

  afterEach(async function () {
    await server.close();
  });

  async function leaveWhileOpening(command: string): Promise<void> {
    const control = await RawControl.connect(server.host, server.port);
    await control.login(USER, PASSWORD);
    const data = await control.passive(server.host);
    control.send(`${command}\r\n`);
    await waitFor(() => answer !== undefined, 2000, 'the store asked');
    await control.close();
    data.socket.destroy();
    await waitFor(() => server.server.sessionCount === 0, 2000, 'the session gone');
    answer?.();
  }

  /** Whether what the store gave for a download has been let go (a Buffer holds nothing). */
  function released(body: ReadSource['body']): boolean {
    if (body instanceof FileRange) return !hasDescriptor(body);
    return Buffer.isBuffer(body) || body.destroyed;
  }

  function hasDescriptor(range: FileRange): boolean {
    try {
      return range.fd >= 0;
    } catch {
      return false;
    }
  }

  it('RETR: the file the store opened is closed, not left open', async function () {
    await writeFile(join(server.root, 'big.bin'), Buffer.alloc(1024 * 1024, 7));
    await leaveWhileOpening('RETR big.bin');
    await waitFor(() => opened.body !== undefined, 2000, 'the store answered');
    await waitFor(() => opened.body !== undefined && released(opened.body), 2000, 'the file closed');
  });

  it('STOR: the upload the store opened is aborted, leaving no temporary file', async function () {
    await leaveWhileOpening('STOR new.bin');
    await waitFor(() => opened.upload !== undefined, 2000, 'the store answered');
    await waitFor(
      () => !readdirSync(server.root).some((name) => name !== 'big.bin'),
      2000,
      'the temporary file gone',
    );
  });
});

describe('passive mode settings', function () {
  it('announces --pasv-address in 227 and takes ports from --pasv-range', async function () {
    const server = await startServer({
      options: { pasvAddress: '192.0.2.10', pasvRange: { min: 40000, max: 40009 } },
    });
    const control = await RawControl.connect(server.host, server.port);
    try {
      await control.login(USER, PASSWORD);
      const pasv = await control.command('PASV');
      expect(pasv.code).to.equal(227);
      const { host, port } = parsePasvReply(pasv.text);
      expect(host).to.equal('192.0.2.10');
      expect(port).to.be.within(40000, 40009);
      const epsv = await control.command('EPSV');
      expect(parseEpsvReply(epsv.text)).to.be.within(40000, 40009);
    } finally {
      await control.close();
      await server.close();
    }
  });
});

describe('dual-stack listener (--host ::)', function () {
  it('serves IPv4 clients with PASV and IPv6 clients with EPSV', async function () {
    const server = await startServer({ host: '::' });
    try {
      await writeFile(join(server.root, 'd.txt'), 'dual');
      for (const [host, extended] of [
        ['127.0.0.1', false],
        ['::1', true],
      ] as const) {
        const control = await RawControl.connect(host, server.port);
        await control.login(USER, PASSWORD);
        const { data } = await control.passive(host, extended);
        expect((await control.command('RETR d.txt')).code, host).to.equal(150);
        expect((await data).toString(), host).to.equal('dual');
        expect((await control.read()).code, host).to.equal(226);
        await control.close();
      }
    } finally {
      await server.close();
    }
  });
});
