// A client that floods the control connection while a transfer runs: what it sends and what it
// leaves unread must not grow the server's memory, and an ABOR must still get through.
import { expect } from 'chai';
import { once } from 'node:events';
import { truncate, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseEpsvReply } from '../../src/protocol/address/epsv.js';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type TestServer } from '../helpers/start-server.js';

/** Bytes held by this process's JS objects and buffers (the server runs in it). */
function heldBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

describe('control connection floods during a transfer', function () {
  let server: TestServer;
  let control: RawControl | undefined;
  let data: Socket | undefined;

  beforeEach(async function () {
    server = await startServer();
    await writeFile(join(server.root, 'big.bin'), '');
    await truncate(join(server.root, 'big.bin'), 64 * 1024 * 1024);
  });

  afterEach(async function () {
    data?.destroy();
    data = undefined;
    await control?.close();
    control = undefined;
    await server.close();
  });

  /** A session downloading big.bin, its data connection open and never read. */
  async function downloading(): Promise<RawControl> {
    const session = await RawControl.connect(server.host, server.port);
    await session.login(server.user, server.password);
    const epsv = await session.command('EPSV');
    data = connect({ host: server.host, port: parseEpsvReply(epsv.text) });
    data.on('error', () => undefined);
    await once(data, 'connect');
    expect((await session.command('RETR big.bin')).code).to.equal(150);
    return session;
  }

  it('stops reading a client that sends STAT after STAT and reads no reply', async function () {
    control = await downloading();
    const before = heldBytes();
    // 100,000 STAT lines, none of whose replies is read: the server must stop taking them.
    control.socket.pause();
    control.socket.write('STAT\r\n'.repeat(100_000));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const grown = heldBytes() - before;
    expect(grown, `${Math.round(grown / 1e6)} MB held`).to.be.below(20 * 1024 * 1024);
    // It was paused, not dropped: once the replies are read, every STAT is answered.
    control.socket.resume();
    for (let i = 0; i < 100_000; i++) expect((await control.read(5000)).code).to.equal(211);
  });

  it('reads an ABOR that comes after 40 commands queued behind the transfer', async function () {
    control = await downloading();
    control.send('NOOP\r\n'.repeat(40) + 'ABOR\r\n');
    expect((await control.read(3000)).code).to.equal(426);
    expect((await control.read(3000)).code).to.equal(226);
    for (let i = 0; i < 40; i++) expect((await control.read(3000)).code).to.equal(200);
  });
});
