// Aborting an upload: the data connection must not end before the server has taken the ABOR.
// The two travel on different sockets, and a server that sees the data end first stores what it
// got as the whole file (a reset right after data reads as a clean end of file in libuv).
import { expect } from 'chai';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FtpClient } from '../../src/client/client.js';
import type { ConnectOptions, DataMode } from '../../src/client/options.js';
import { ManualClock } from '../helpers/manual-clock.js';
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

/** How long the client holds an aborted upload's data connection for a server that does not answer. */
const GRACE_MS = 1000;

/**
 * Resolves once the event loop has polled for I/O since the call. The client runs in this process,
 * so what it sent before the call (an ABOR, a cut of the data connection) has reached the fake
 * server over loopback and, after that poll, been read: "not cut yet" needs no waiting on time.
 */
async function afterNextPoll(): Promise<void> {
  // Called from an I/O callback, the first immediate runs before the loop polls again.
  await nextTurn();
  await nextTurn();
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

  async function setup(
    mode: DataMode,
    stor: FakeHandler,
    options: Partial<ConnectOptions> = {},
  ): Promise<FakeServer> {
    fake = await FakeServer.start({
      handlers: { STOR: stor, ABOR: (session) => session.reply('226 Abort successful.') },
    });
    client = await connectTo(fake, mode, options);
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
        await afterNextPoll();
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
        await afterNextPoll();
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

  // The same code in both modes; once is enough.
  for (const mode of ['passive'] as const) {
    it(`${mode}: cuts the data connection a second after the ABOR when the server waits for its end`, async () => {
      let seen: DataRecord | undefined;
      let cutBeforeGrace: boolean | undefined;
      let cutAtGrace: boolean | undefined;
      const clock = new ManualClock();
      const server = await setup(
        mode,
        async (session: FakeSession) => {
          session.reply('150 Ok to send data.');
          const socket = await session.dataSocket();
          seen = record(socket);
          const closed = once(socket, 'close');
          // Like a server that reads the control connection only between transfers: the ABOR is
          // left unanswered, and only tells the test when to move the clock.
          await session.waitForLines(session.lines.length + 1);
          clock.advance(GRACE_MS - 1);
          await afterNextPoll();
          cutBeforeGrace = seen.cut;
          clock.advance(1);
          await afterNextPoll();
          cutAtGrace = seen.cut;
          await closed;
          session.reply('426 Connection closed; transfer aborted.');
        },
        { clock },
      );
      const outcome = await abortMidway(server, () => seen);
      expect(outcome.name).to.equal('AbortError');
      expect(cutBeforeGrace).to.equal(false);
      expect(cutAtGrace).to.equal(true);
      expect((await client!.raw('NOOP')).code).to.equal(200);
    });
  }
});
