import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { openSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { FtpError } from '../../../src/protocol/index.js';
import { FileRange } from '../../../src/server/fs/file-range.js';
import {
  bytesSentByKernel,
  kernelThreads,
  sendFileRange,
  ThreadBudget,
} from '../../../src/server/transfer/kernel-pump.js';
import { descriptorsOn } from '../../helpers/descriptors.js';
import { sha256Buffer } from '../../helpers/hash.js';
import { collect } from '../../helpers/raw-control.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { makeCertificate } from '../../helpers/tls-cert.js';
import { waitFor } from '../../helpers/wait.js';
import { portOf } from '../data/net-helpers.js';
import { skipWithoutSendfile, useRangeFixture } from './range-fixture.js';

describe('server/transfer/kernel-pump', function () {
  const fixture = useRangeFixture('kernel-pump', skipWithoutSendfile);
  const { pair, fileWith, sockets } = fixture;

  /** Descriptors of this process, the add-on's duplicates and wake-up eventfds included. */
  function openDescriptors(): number {
    return readdirSync('/proc/self/fd').length;
  }

  it('with sendfile off, or over TLS, the bytes go through buffers', async function () {
    const content = randomBytes(2 * 1024 * 1024 + 5);
    const plain = await fileWith('off.bin', content);
    const [ours, client] = await pair();
    const received = collect(client);
    await sendFileRange(plain.range, ours, false);
    expect((await received).equals(content)).to.equal(true);
    expect(ours.bytesWritten).to.equal(content.length);
    expect(bytesSentByKernel(ours)).to.equal(0);

    const certificate = await makeCertificate(fixture.dir.path);
    const tlsServer = createTlsServer({ cert: certificate.cert, key: certificate.key });
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    try {
      const { range } = await fileWith('tls.bin', content);
      const accepted = once(tlsServer, 'secureConnection') as Promise<[TLSSocket]>;
      const secure = connectTls({ host: '127.0.0.1', port: portOf(tlsServer), rejectUnauthorized: false });
      secure.on('error', () => undefined);
      const [tlsOurs] = await accepted;
      sockets.push(tlsOurs, secure);
      const chunks: Buffer[] = [];
      secure.on('data', (chunk: Buffer) => chunks.push(chunk));
      const ended = once(secure, 'end');
      await sendFileRange(range, tlsOurs, true);
      await ended;
      expect(Buffer.concat(chunks).equals(content)).to.equal(true);
      expect(bytesSentByKernel(tlsOurs)).to.equal(0);
    } finally {
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  });

  it('waits for a client that stops reading, and sends every byte intact once it reads again', async function () {
    const content = randomBytes(48 * 1024 * 1024);
    const { range } = await fileWith('paused.bin', content);
    const [ours, client] = await pair();
    client.pause();
    let settled = false;
    const sent = sendFileRange(range, ours, true).finally(() => (settled = true));
    await sleep(300);
    expect(settled).to.equal(false);
    expect(bytesSentByKernel(ours)).to.equal(0);
    const received = collect(client);
    client.resume();
    await sent;
    expect(sha256Buffer(await received)).to.equal(sha256Buffer(content));
  });

  it("keeps the socket's idle timer from firing while bytes move, and lets it fire when the client stops reading", async function () {
    this.timeout(30_000);
    // More than the socket buffers hold, read at a few MB/s: the kernel sends for seconds, past the
    // idle timeout, and is never idle for it.
    const content = randomBytes(16 * 1024 * 1024);
    const { range } = await fileWith('slow.bin', content);
    const [ours, client] = await pair();
    let timeouts = 0;
    ours.setTimeout(1200, () => timeouts++);
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      client.pause();
      setTimeout(() => client.resume(), 10);
    });
    const started = Date.now();
    await sendFileRange(range, ours, true);
    expect(Date.now() - started).to.be.above(1200);
    expect(timeouts).to.equal(0);
    ours.setTimeout(0);
    await waitFor(() => Buffer.concat(chunks).length === content.length, 20_000, 'every byte received');
    expect(sha256Buffer(Buffer.concat(chunks))).to.equal(sha256Buffer(content));

    const stalled = await fileWith('stalled.bin', randomBytes(64 * 1024 * 1024));
    const [ours2, client2] = await pair();
    client2.pause();
    const timedOut = once(ours2, 'timeout');
    ours2.setTimeout(1500);
    const stuck = sendFileRange(stalled.range, ours2, true);
    await timedOut;
    ours2.destroy();
    await rejectionOf(stuck);
    expect(descriptorsOn(stalled.path)).to.equal(0);
  });

  it('a client that goes away mid-file: rejects with the connection error once the thread has stopped, the file closed', async function () {
    const { path, range } = await fileWith('vanish.bin', randomBytes(64 * 1024 * 1024));
    const [ours, client] = await pair();
    const before = openDescriptors();
    const sent = sendFileRange(range, ours, true);
    await once(client, 'data');
    client.resetAndDestroy();
    const error = await rejectionOf(sent);
    expect(error).to.be.instanceOf(Error);
    expect(error).not.to.be.instanceOf(FtpError);
    expect(() => range.fd).to.throw(/closed/);
    expect(descriptorsOn(path)).to.equal(0);
    // The thread's socket and file duplicates and its eventfd are closed too (the file's own
    // descriptor, counted in `before`, is gone as well).
    expect(openDescriptors()).to.be.at.most(before);
  });

  it('an abort (the socket destroyed) mid-file: rejects, and the client sees the connection end', async function () {
    const { path, range } = await fileWith('abort.bin', randomBytes(64 * 1024 * 1024));
    const [ours, client] = await pair();
    const sent = sendFileRange(range, ours, true);
    await once(client, 'data');
    client.pause();
    ours.destroy();
    await rejectionOf(sent);
    expect(descriptorsOn(path)).to.equal(0);
    // The thread held its own copy of the socket: once it stopped, the connection closed.
    client.resume();
    await once(client, 'close');
  });

  it('leaves no descriptor or thread behind after many aborted transfers', async function () {
    const path = join(fixture.dir.path, 'many.bin');
    await writeFile(path, randomBytes(16 * 1024 * 1024));
    const before = openDescriptors();
    for (let i = 0; i < 20; i++) {
      const range = new FileRange(openSync(path, 'r'), 0, 16 * 1024 * 1024);
      const [ours, client] = await pair();
      const sent = sendFileRange(range, ours, true);
      if (i % 2 === 0) await once(client, 'data');
      if (i % 3 === 0) ours.destroy();
      else client.resetAndDestroy();
      await rejectionOf(sent);
    }
    for (const socket of sockets.splice(0)) socket.destroy();
    await waitFor(() => descriptorsOn(path) === 0, 2000, 'every file descriptor closed');
    await waitFor(() => openDescriptors() <= before, 2000, 'every duplicate and eventfd closed');
  });

  it('past its thread budget a download goes through buffers, and a thread that stops, done or failed, is given back', async function () {
    const threads = new ThreadBudget(1);
    const big = await fileWith('budget-big.bin', randomBytes(48 * 1024 * 1024));
    const [first, firstClient] = await pair();
    firstClient.pause();
    const stuck = sendFileRange(big.range, first, true, threads);
    expect(threads.inUse).to.equal(1);

    const content = randomBytes(1024 * 1024 + 3);
    const small = await fileWith('budget-small.bin', content);
    const [second, secondClient] = await pair();
    const received = collect(secondClient);
    await sendFileRange(small.range, second, true, threads);
    expect((await received).equals(content)).to.equal(true);
    expect(second.bytesWritten).to.equal(content.length);
    expect(bytesSentByKernel(second)).to.equal(0);
    expect(threads.inUse).to.equal(1);

    first.destroy();
    await rejectionOf(stuck);
    expect(threads.inUse).to.equal(0);

    const again = await fileWith('budget-again.bin', content);
    const [third, thirdClient] = await pair();
    const receivedAgain = collect(thirdClient);
    await sendFileRange(again.range, third, true, threads);
    expect((await receivedAgain).equals(content)).to.equal(true);
    expect(bytesSentByKernel(third)).to.equal(content.length);
    expect(threads.inUse).to.equal(0);
    // The server's own budget was not touched, and is back to none in use after the tests above.
    expect(kernelThreads.inUse).to.equal(0);
  });
});
