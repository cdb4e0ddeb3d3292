import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { FileRange } from '../../../src/server/fs/file-range.js';
import { pumpFile, sharedBuffers } from '../../../src/server/transfer/file-pump.js';
import { descriptorsOn } from '../../helpers/descriptors.js';
import { sha256Buffer } from '../../helpers/hash.js';
import { collect } from '../../helpers/raw-control.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { makeCertificate } from '../../helpers/tls-cert.js';
import { waitFor } from '../../helpers/wait.js';
import { portOf } from '../data/net-helpers.js';
import { useRangeFixture } from './range-fixture.js';

describe('server/transfer/file-pump', function () {
  const fixture = useRangeFixture('pump');
  const { pair, fileWith, sockets } = fixture;

  it('holds a few buffers, not the file, for a client that stops reading, and sends every byte intact once it reads again', async function () {
    const content = randomBytes(48 * 1024 * 1024);
    const { range } = await fileWith('paused.bin', content);
    const [ours, client] = await pair();
    client.pause();
    let settled = false;
    const pumped = pumpFile(range, ours).finally(() => (settled = true));
    // Long enough for a pump that ignored backpressure to queue the whole file.
    let queued = -1;
    while (queued !== ours.writableLength) {
      queued = ours.writableLength;
      await sleep(100);
    }
    expect(settled).to.equal(false);
    expect(ours.writableLength).to.be.at.most(4 * 1024 * 1024);
    // Read in small steps with pauses, so that buffers go back to the pool many times over.
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      client.pause();
      setImmediate(() => client.resume());
    });
    client.resume();
    await pumped;
    await once(client, 'end');
    expect(sha256Buffer(Buffer.concat(chunks))).to.equal(sha256Buffer(content));
  });

  it('a client that goes away mid-file: rejects once no read is pending, with the file closed', async function () {
    const { path, range } = await fileWith('vanish.bin', randomBytes(16 * 1024 * 1024));
    const [ours, client] = await pair();
    const pumped = pumpFile(range, ours);
    await once(client, 'data');
    client.resetAndDestroy();
    const error = await rejectionOf(pumped);
    expect(error).to.be.instanceOf(Error);
    expect(() => range.fd).to.throw(/closed/);
    expect(descriptorsOn(path)).to.equal(0);
  });

  it('an abort (the socket destroyed) before the first byte: rejects, the file closed', async function () {
    const { path, range } = await fileWith('abort.bin', randomBytes(4 * 1024 * 1024));
    const [ours] = await pair();
    const pumped = pumpFile(range, ours);
    ours.destroy();
    await rejectionOf(pumped);
    expect(descriptorsOn(path)).to.equal(0);
  });

  it('over TLS, to a client that reads slowly: every byte intact', async function () {
    const certificate = await makeCertificate(fixture.dir.path);
    const tlsServer = createTlsServer({ cert: certificate.cert, key: certificate.key });
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    try {
      const content = randomBytes(24 * 1024 * 1024 + 17);
      const { range } = await fileWith('tls.bin', content);
      const accepted = once(tlsServer, 'secureConnection') as Promise<[TLSSocket]>;
      const client = connectTls({ host: '127.0.0.1', port: portOf(tlsServer), rejectUnauthorized: false });
      client.on('error', () => undefined);
      const [ours] = await accepted;
      sockets.push(ours, client);
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // Now and then a pause, so that the socket fills and writes complete later.
        if (chunks.length % 64 === 0) {
          client.pause();
          setTimeout(() => client.resume(), 5);
        }
      });
      const ended = once(client, 'end');
      await pumpFile(range, ours);
      await ended;
      expect(sha256Buffer(Buffer.concat(chunks))).to.equal(sha256Buffer(content));
    } finally {
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  });

  it('leaves no descriptor behind after many aborted pumps', async function () {
    const path = join(fixture.dir.path, 'many.bin');
    await writeFile(path, randomBytes(8 * 1024 * 1024));
    for (let i = 0; i < 10; i++) {
      const range = new FileRange(openSync(path, 'r'), 0, 8 * 1024 * 1024);
      const [ours, client] = await pair();
      const pumped = pumpFile(range, ours);
      if (i % 2 === 0) await once(client, 'data');
      client.resetAndDestroy();
      await rejectionOf(pumped);
    }
    await waitFor(() => descriptorsOn(path) === 0, 2000, 'every descriptor closed');
    // Every shared buffer went back, those that writes still held when the client left included.
    await waitFor(() => sharedBuffers.out === 0, 2000, 'every pooled buffer back');
  });

  it('shares a bounded pool among many downloads at once; past it they read into small buffers, every byte intact', async function () {
    const content = randomBytes(3 * 1024 * 1024 + 123);
    const path = join(fixture.dir.path, 'shared.bin');
    await writeFile(path, content);
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, sharedBuffers.out)), 1);
    // One pair at a time: pair() takes the server's next connection.
    const pairs: [Socket, Socket][] = [];
    for (let i = 0; i < 12; i++) pairs.push(await pair());
    try {
      const downloads = await Promise.all(
        pairs.map(async ([ours, client]) => {
          const received = collect(client);
          await pumpFile(new FileRange(openSync(path, 'r'), 0, content.length), ours);
          return sha256Buffer(await received);
        }),
      );
      expect(new Set(downloads)).to.deep.equal(new Set([sha256Buffer(content)]));
    } finally {
      clearInterval(watch);
    }
    expect(peak).to.be.within(1, 8);
    expect(sharedBuffers.out).to.equal(0);
  });
});
