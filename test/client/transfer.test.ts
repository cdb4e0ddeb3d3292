// The transfer (src/client/transfer.ts) against scripted servers that misbehave the way real ones
// do: a data connection the server never closes, a reset before the 150, a stall after the data.
import { expect } from 'chai';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { FtpClient } from '../../src/client/client.js';
import { ClientTimeoutError } from '../../src/client/errors.js';
import type { ConnectOptions, DataMode } from '../../src/client/options.js';
import { rejectionOf } from '../helpers/rejection.js';
import { collectInto, connectTo, FakeServer, readAll } from './fake-server.js';

describe('client/transfer', () => {
  let fake: FakeServer | undefined;
  const clients: FtpClient[] = [];

  async function setup(
    handlers: Parameters<typeof FakeServer.start>[0],
    extra: Partial<ConnectOptions> & { mode: DataMode },
  ): Promise<{ server: FakeServer; client: FtpClient }> {
    fake = await FakeServer.start(handlers);
    const client = await connectTo(fake, extra.mode, extra);
    clients.push(client);
    return { server: fake, client };
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await fake?.close();
    fake = undefined;
  });

  for (const mode of ['passive', 'active'] as const satisfies readonly DataMode[]) {
    it(`an upload the server never reads fails on the reply timer, with no stray error (${mode})`, async () => {
      // pyftpdlib does this to one of several parallel active-mode uploads: the data fits in the
      // socket buffers, so the upload has ended on our side, but the server neither reads nor
      // answers. The data-idle timer must be off by then (the reply timer ends the wait), and no
      // socket may be left without an error listener.
      const { client } = await setup(
        {
          handlers: {
            STOR: async (session) => {
              session.reply('150 Ok to send data.');
              (await session.dataSocket()).pause();
            },
          },
        },
        { mode, dataTimeoutMs: 50, replyTimeoutMs: 400 },
      );
      const error = await rejectionOf(client.upload(Readable.from([Buffer.from('payload')]), 'f'));
      expect(error).to.be.instanceOf(ClientTimeoutError);
      expect(error).to.include({ phase: 'reply' });
      expect(error.message).to.match(/No reply to STOR f/);
      // Long enough for a data-idle timer left running to fire on a socket nobody listens to.
      await new Promise((resolve) => setTimeout(resolve, 150));
    });

    it(`an upload the server stops reading mid-way fails on the data timer (${mode})`, async () => {
      const { client } = await setup(
        {
          handlers: {
            STOR: async (session) => {
              session.reply('150 Ok to send data.');
              const socket = await session.dataSocket();
              socket.pause();
              // Reading again after the client gave up drains the data and sees the connection end.
              await new Promise((resolve) => setTimeout(resolve, 400));
              socket.resume();
              await once(socket, 'close');
              session.reply('426 Connection closed; transfer aborted.');
            },
          },
        },
        { mode, dataTimeoutMs: 100, replyTimeoutMs: 2000 },
      );
      const chunk = Buffer.alloc(1024 * 1024);
      const endless = Readable.from(
        (function* () {
          for (;;) yield chunk;
        })(),
      );
      const error = await rejectionOf(client.upload(endless, 'f'));
      expect(error).to.be.instanceOf(ClientTimeoutError);
      expect(error).to.include({ phase: 'data' });
      expect(await client.pwd()).to.equal('/');
    });

    it(`a data connection reset before the 150 rejects the transfer and leaves no stray error (${mode})`, async () => {
      const { client } = await setup(
        {
          handlers: {
            RETR: async (session) => {
              const socket = await session.dataSocket();
              socket.resetAndDestroy();
              await once(socket, 'close');
              // Give the client's side time to see the reset before any reply comes.
              await new Promise((resolve) => setTimeout(resolve, 50));
              session.reply('425 Data connection failed.');
            },
          },
        },
        { mode, dataTimeoutMs: 2000, replyTimeoutMs: 2000 },
      );
      const error = await rejectionOf(client.download('f', collectInto().stream));
      expect(error.message).to.match(/425/);
      expect(await client.pwd()).to.equal('/');
    });

    it(`a download that stalls mid-data fails with a data timeout and the session stays usable (${mode})`, async () => {
      const { client } = await setup(
        {
          handlers: {
            RETR: async (session) => {
              session.reply('150 Here it comes.');
              const socket = await session.dataSocket();
              socket.write('part');
              // Nothing more until the client gives up and closes the connection.
              await readAll(socket).catch(() => undefined);
              session.reply('426 Connection closed; transfer aborted.');
            },
          },
        },
        { mode, dataTimeoutMs: 150, replyTimeoutMs: 2000 },
      );
      const error = await rejectionOf(client.download('f', collectInto().stream));
      expect(error).to.be.instanceOf(ClientTimeoutError);
      expect(await client.pwd()).to.equal('/');
    });
  }
});
