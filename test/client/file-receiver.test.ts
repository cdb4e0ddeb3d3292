import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { FileReceiver } from '../../src/client/data/file-receiver.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

/** A one-shot data server: `serve` runs on the accepted socket; returns a receiver-fed client socket. */
async function dataPair(
  serve: (socket: Socket) => void,
): Promise<{ server: Server; socket: Socket; receiver: FileReceiver }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const receiver = new FileReceiver();
  const socket = connect({ host: '127.0.0.1', port, onread: receiver.onread });
  // As the passive opener does: nothing is read before receive().
  socket.pause();
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { server, socket, receiver };
}

describe('client/data/file-receiver', () => {
  let dir: TempDir;
  const servers: Server[] = [];

  beforeEach(async () => {
    dir = await makeTempDir('file-receiver');
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    await dir.remove();
  });

  it('writes every byte, in order, and counts them', async () => {
    const payload = randomBytes(5 * 1024 * 1024 + 7);
    const { server, socket, receiver } = await dataPair((s) => s.end(payload));
    servers.push(server);
    let counted = 0;
    const path = join(dir.path, 'out.bin');
    await receiver.receive(socket, path, false, (bytes) => (counted += bytes));
    expect((await readFile(path)).equals(payload)).to.equal(true);
    expect(counted).to.equal(payload.length);
  });

  it('appends to an existing file when asked', async () => {
    const path = join(dir.path, 'partial.bin');
    await writeFile(path, 'head-');
    const { server, socket, receiver } = await dataPair((s) => s.end('tail'));
    servers.push(server);
    await receiver.receive(socket, path, true);
    expect(await readFile(path, 'utf8')).to.equal('head-tail');
  });

  it('rejects when the file cannot be opened, and reads nothing', async () => {
    const { server, socket, receiver } = await dataPair((s) => s.end('data'));
    servers.push(server);
    const error = await receiver.receive(socket, dir.path, false).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as NodeJS.ErrnoException).code).to.equal('EISDIR');
    expect(socket.bytesRead).to.equal(0);
    socket.destroy();
  });

  it('settles when the connection is reset mid-file, keeping only bytes that were sent', async () => {
    const sent = randomBytes(64 * 1024);
    const { server, socket, receiver } = await dataPair((s) => {
      // Only once the client is surely connected, so the reset cannot hit the handshake.
      s.once('data', () => s.write(sent, () => s.resetAndDestroy()));
    });
    servers.push(server);
    socket.write('go');
    const path = join(dir.path, 'cut.bin');
    // Linux may report the reset as an error or (data discarded) as an end of file; either way
    // the receiver must settle and close the file. The server's 426 is what tells the client
    // the file is incomplete (see the client tests).
    await receiver.receive(socket, path, false).catch(() => undefined);
    const got = await readFile(path);
    expect(got.length).to.be.at.most(sent.length);
    expect(sent.subarray(0, got.length).equals(got)).to.equal(true);
  });

  it('writes into a pipe (a FIFO) through the thread pool, pausing the socket: every byte, in order', async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 5);
    const fifo = join(dir.path, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const { server, socket, receiver } = await dataPair((s) => s.end(payload));
    servers.push(server);
    // A slow reader: the pipe is full most of the time.
    const chunks: Buffer[] = [];
    const reading = (async () => {
      for await (const chunk of createReadStream(fifo, { highWaterMark: 16 * 1024 })) {
        chunks.push(chunk as Buffer);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    let counted = 0;
    await receiver.receive(socket, fifo, false, (bytes) => (counted += bytes));
    await reading;
    expect(Buffer.concat(chunks).equals(payload)).to.equal(true);
    expect(counted).to.equal(payload.length);
  });
});
