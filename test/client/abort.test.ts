// Aborting an upload: the data connection must not end before the server has taken the ABOR.
// The two travel on different sockets, and a server that sees the data end first stores what it
// got as the whole file (a reset right after data reads as a clean end of file in libuv).
import { expect } from 'chai';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { FtpClient } from '../../src/client/client.js';
import type { DataMode } from '../../src/client/options.js';
import { rejectionOf } from '../helpers/rejection.js';
import { waitFor } from '../helpers/wait.js';
import { FakeServer, connectTo, type FakeHandler, type FakeSession } from './fake-server.js';

/** What the server saw on an upload's data connection. */
interface DataRecord {
  bytes: Buffer[];
  /** The client ended or reset the connection. */
  cut: boolean;
}

function record(socket: Socket): DataRecord {
  const seen: DataRecord = { bytes: [], cut: false };
  socket.on('data', (chunk: Buffer) => seen.bytes.push(chunk));
  socket.on('end', () => (seen.cut = true));
  socket.on('error', () => (seen.cut = true));
  return seen;
}

describe('client: aborting an upload', () => {
  let fake: FakeServer | undefined;
  let client: FtpClient | undefined;

  afterEach(async () => {
    await client?.close();
    client = undefined;
    await fake?.close();
    fake = undefined;
  });

  async function setup(mode: DataMode, stor: FakeHandler): Promise<FakeServer> {
    fake = await FakeServer.start({
      handlers: { STOR: stor, ABOR: (session) => session.reply('226 Abort successful.') },
    });
    client = await connectTo(fake, mode);
    return fake;
  }

  /** Starts an upload from a stream, sends `before`, aborts once the server has it, then writes `after`. */
  async function abortMidway(server: FakeServer, seen: () => DataRecord | undefined): Promise<Error> {
    const source = new PassThrough();
    const controller = new AbortController();
    const upload = rejectionOf(client!.upload(source, 'up.bin', { signal: controller.signal }));
    await waitFor(() => server.log.includes('S: 150 Ok to send data.'), 5000, 'the 150');
    source.write('before');
    await waitFor(() => Buffer.concat(seen()?.bytes ?? []).toString() === 'before', 5000, 'the first bytes');
    controller.abort();
    source.write('after');
    return upload;
  }

  for (const mode of ['passive', 'active'] as const) {
    it(`${mode}: holds the data connection, silent, until the server has answered the ABOR`, async () => {
      let seen: DataRecord | undefined;
      let cutBeforeAnswer: boolean | undefined;
      const server = await setup(mode, async (session: FakeSession) => {
        session.reply('150 Ok to send data.');
        const socket = await session.dataSocket();
        seen = record(socket);
        await session.waitForLines(session.lines.length + 1);
        // Ample time for a cut sent right behind the ABOR to arrive.
        await delay(150);
        cutBeforeAnswer = seen.cut;
        socket.destroy();
        session.reply('426 Transfer aborted.');
      });
      const outcome = await abortMidway(server, () => seen);
      expect(outcome.name).to.equal('AbortError');
      expect(server.lines).to.include('ABOR');
      expect(cutBeforeAnswer).to.equal(false);
      expect(Buffer.concat(seen!.bytes).toString()).to.equal('before');
      expect((await client!.raw('NOOP')).code).to.equal(200);
    });

    it(`${mode}: aborted before the 150, sends no data and holds the connection until the answer`, async () => {
      let seen: DataRecord | undefined;
      let cutBeforeAnswer: boolean | undefined;
      const source = new PassThrough();
      source.write('never sent');
      const controller = new AbortController();
      const server = await setup(mode, async (session: FakeSession) => {
        const socket = await session.dataSocket();
        seen = record(socket);
        controller.abort();
        await session.waitForLines(session.lines.length + 1);
        session.reply('150 Ok to send data.');
        await delay(150);
        cutBeforeAnswer = seen.cut;
        socket.destroy();
        session.reply('426 Transfer aborted.');
      });
      const outcome = await rejectionOf(client!.upload(source, 'up.bin', { signal: controller.signal }));
      expect(outcome.name).to.equal('AbortError');
      expect(server.lines).to.include('ABOR');
      expect(cutBeforeAnswer).to.equal(false);
      expect(seen!.bytes).to.deep.equal([]);
      expect((await client!.raw('NOOP')).code).to.equal(200);
    });
  }

  // The same code in both modes; once is enough for a test that waits out the grace.
  for (const mode of ['passive'] as const) {
    it(`${mode}: cuts the data connection after a grace when the server waits for its end`, async () => {
      let seen: DataRecord | undefined;
      const server = await setup(mode, async (session: FakeSession) => {
        session.reply('150 Ok to send data.');
        const socket = await session.dataSocket();
        seen = record(socket);
        // Like a server that reads the control connection only between transfers.
        await new Promise((resolve) => socket.once('close', resolve));
        session.reply('426 Connection closed; transfer aborted.');
      });
      const outcome = await abortMidway(server, () => seen);
      expect(outcome.name).to.equal('AbortError');
      expect(seen!.cut).to.equal(true);
      expect((await client!.raw('NOOP')).code).to.equal(200);
    });
  }
});
