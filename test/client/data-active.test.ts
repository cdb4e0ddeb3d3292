import { expect } from 'chai';
import { rejectionOf } from '../helpers/rejection.js';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { FtpClient } from '../../src/client/client.js';
import {
  ClientTimeoutError,
  ConnectionClosedError,
  ForeignDataPeerError,
  FtpReplyError,
} from '../../src/client/errors.js';
import type { ConnectOptions } from '../../src/client/options.js';
import { decodeEprt, decodeHostPort } from '../../src/protocol/index.js';
import { waitFor } from '../helpers/wait.js';
import {
  asReplyError,
  collectInto,
  FakeServer,
  sendAndClose,
  type FakeHandler,
  connectTo,
  downloadBytes,
} from './fake-server.js';

const CONTENT = Buffer.from('active bytes\n'.repeat(1000));

const refuseEprt: FakeHandler = (session) => session.reply('500 EPRT not understood.');

/** The argument of every command line with this verb. */
function argsOf(lines: readonly string[], verb: string): string[] {
  return lines.filter((l) => l.startsWith(`${verb} `)).map((l) => l.slice(verb.length + 1));
}

describe('client/data/active', () => {
  let fake: FakeServer | undefined;
  const clients: FtpClient[] = [];
  const sockets: Socket[] = [];

  async function setup(
    server: Parameters<typeof FakeServer.start>[0] = {},
    options: Partial<ConnectOptions> = {},
  ): Promise<{ server: FakeServer; client: FtpClient }> {
    fake = await FakeServer.start(server);
    fake.files.set('f', CONTENT);
    const client = await connectTo(fake, 'active', options);
    clients.push(client);
    return { server: fake, client };
  }

  const download = downloadBytes;

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    for (const socket of sockets.splice(0)) {
      if (!socket.closed) {
        socket.destroy();
        await once(socket, 'close');
      }
    }
    await fake?.close();
    fake = undefined;
  });

  it('sends EPRT with the control socket’s local address, and the server’s connection is taken', async () => {
    const { server, client } = await setup();
    expect(await download(client)).to.deep.equal(CONTENT);
    const [arg] = argsOf(server.lines, 'EPRT');
    expect(arg).to.not.equal(undefined);
    const target = decodeEprt(arg!);
    const session = await server.session();
    expect(target.family).to.equal(4);
    expect(target.host).to.equal(session.socket.remoteAddress);
    expect(server.lines.filter((l) => l.startsWith('PORT'))).to.deep.equal([]);
  });

  it('advertises the local address, not the host it dialled (server on 127.0.0.2)', async () => {
    // Linux answers 127.0.0.2 from 127.0.0.1: the two differ, and only the local one is right.
    const { server, client } = await setup(
      {
        host: '127.0.0.2',
        handlers: {
          RETR: async (session) => {
            session.reply('150 Here it comes.');
            // The connection comes from the control connection's address, as a real server's does.
            const socket = await session.connectActive('127.0.0.2');
            await sendAndClose(socket, CONTENT);
            session.reply('226 Done.');
          },
        },
      },
      {},
    );
    expect(await download(client)).to.deep.equal(CONTENT);
    const session = await server.session();
    const target = decodeEprt(argsOf(server.lines, 'EPRT')[0]!);
    expect(target.host).to.equal(session.socket.remoteAddress);
    expect(target.host).to.not.equal('127.0.0.2');
  });

  it('uploads in active mode too', async () => {
    const { server, client } = await setup();
    await client.upload(Readable.from([CONTENT]), 'up');
    expect(server.files.get('up')).to.deep.equal(CONTENT);
  });

  it('falls back to PORT when EPRT is unknown, and sends PORT straight away from then on', async () => {
    const { server, client } = await setup({ handlers: { EPRT: refuseEprt } });
    expect(await download(client)).to.deep.equal(CONTENT);
    expect(await download(client)).to.deep.equal(CONTENT);
    const transfer = server.lines.filter((l) => /^(EPRT|PORT|RETR) /.test(l)).map((l) => l.slice(0, 4));
    expect(transfer).to.deep.equal(['EPRT', 'PORT', 'RETR', 'PORT', 'RETR']);
    const session = await server.session();
    for (const arg of argsOf(server.lines, 'PORT')) {
      expect(decodeHostPort(arg).host).to.equal(session.socket.remoteAddress);
    }
  });

  it('does not fall back to PORT when EPRT fails for another reason than being unknown', async () => {
    const { server, client } = await setup({
      handlers: { EPRT: (session) => session.reply('522 Use (1).') },
    });
    const error = await rejectionOf(download(client));
    expect(error).to.be.instanceOf(FtpReplyError);
    expect(asReplyError(error).replyCode).to.equal(522);
    expect(server.lines.filter((l) => l.startsWith('PORT'))).to.deep.equal([]);
    expect((await client.raw('NOOP')).code).to.equal(200);
  });

  it('advertises activeAddress in EPRT and PORT while listening on the local address', async () => {
    const { server, client } = await setup(
      {
        handlers: {
          RETR: async (session) => {
            session.reply('150 Here it comes.');
            // Whatever was advertised, the port is real on the local address (behind NAT the
            // router forwards it there).
            const port = session.activeTarget!.port;
            const socket = connect({ host: session.socket.remoteAddress!, port });
            server.track(socket);
            await once(socket, 'connect');
            await sendAndClose(socket, CONTENT);
            session.reply('226 Done.');
          },
        },
      },
      { activeAddress: '192.0.2.7' },
    );
    expect(await download(client)).to.deep.equal(CONTENT);
    expect(decodeEprt(argsOf(server.lines, 'EPRT')[0]!).host).to.equal('192.0.2.7');

    server.handlers.EPRT = refuseEprt;
    const other = await FtpClient.connect({
      host: server.host,
      port: server.port,
      user: 'u',
      password: 'p',
      mode: 'active',
      activeAddress: '192.0.2.7',
    });
    clients.push(other);
    expect(await download(other)).to.deep.equal(CONTENT);
    expect(decodeHostPort(argsOf(server.lines, 'PORT')[0]!).host).to.equal('192.0.2.7');
  });

  it('advertises an IPv6 local address with EPRT |2| over ::1', async () => {
    const { server, client } = await setup({ host: '::1' }, { host: '::1' });
    expect(await download(client)).to.deep.equal(CONTENT);
    const target = decodeEprt(argsOf(server.lines, 'EPRT')[0]!);
    expect(target.family).to.equal(6);
    expect(target.host).to.equal('::1');
  });

  it('gives up over IPv6 when EPRT is refused, rather than sending PORT', async () => {
    const { server, client } = await setup({ host: '::1', handlers: { EPRT: refuseEprt } }, { host: '::1' });
    const error = await rejectionOf(download(client));
    expect(error).to.be.instanceOf(FtpReplyError);
    expect(server.lines.filter((l) => l.startsWith('PORT'))).to.deep.equal([]);
    expect((await client.raw('NOOP')).code).to.equal(200);
  });

  it('turns away a connection from another address and takes the server’s', async () => {
    let intruderGotData = false;
    let intruderClosed = false;
    const { server, client } = await setup({
      handlers: {
        RETR: async (session) => {
          session.reply('150 Here it comes.');
          const intruder = await session.connectActive('127.0.0.2');
          intruder.on('data', () => (intruderGotData = true));
          intruder.on('error', () => undefined);
          intruder.write('EVIL DATA');
          await once(intruder, 'close');
          intruderClosed = true;
          const socket = await session.connectActive();
          await sendAndClose(socket, CONTENT);
          session.reply('226 Done.');
        },
      },
    });
    expect(await download(client)).to.deep.equal(CONTENT);
    expect(intruderClosed).to.equal(true);
    expect(intruderGotData).to.equal(false);
    // One connection was taken, and the port closed with it: a late comer finds nobody there.
    const session = await server.session();
    const lateConnect = await session.connectActive().then(
      (late) => {
        late.destroy();
        return 'accepted';
      },
      (error: unknown) => (error as NodeJS.ErrnoException).code,
    );
    expect(lateConnect).to.equal('ECONNREFUSED');
  });

  it('turns away an intruder on an upload, so it never reads the data', async () => {
    const intruderBytes: Buffer[] = [];
    const { server, client } = await setup({
      handlers: {
        STOR: async (session) => {
          session.reply('150 Send it.');
          const intruder = await session.connectActive('127.0.0.2');
          intruder.on('data', (chunk: Buffer) => intruderBytes.push(chunk));
          intruder.on('error', () => undefined);
          await once(intruder, 'close');
          const socket = await session.connectActive();
          const chunks: Buffer[] = [];
          for await (const chunk of socket) chunks.push(chunk as Buffer);
          session.server.files.set('up', Buffer.concat(chunks));
          session.reply('226 Done.');
        },
      },
    });
    await client.upload(Readable.from([CONTENT]), 'up');
    expect(server.files.get('up')).to.deep.equal(CONTENT);
    expect(Buffer.concat(intruderBytes).length).to.equal(0);
  });

  it('by default, a connection from another address is never used, and the error says who it was and what permits it', async () => {
    let clientGaveUp = false;
    let intruderGotData = false;
    const { client } = await setup(
      {
        handlers: {
          RETR: async (session) => {
            session.reply('150 Here it comes.');
            // As a node behind a balancer does: it connects from an address of its own.
            const node = await session.connectActive('127.0.0.2');
            node.on('data', () => (intruderGotData = true));
            node.write(CONTENT);
            await once(node, 'close');
            await waitFor(() => clientGaveUp, 5000, 'the client to time out');
            session.reply("425 Can't open data connection.");
          },
        },
      },
      { dataTimeoutMs: 300 },
    );
    const error = await rejectionOf(download(client));
    clientGaveUp = true;
    const refused = asForeignPeerError(error);
    expect(refused.peer).to.equal('127.0.0.2');
    expect(refused.serverAddress).to.equal('127.0.0.1');
    expect(refused.cause).to.be.instanceOf(ClientTimeoutError);
    expect(refused.message).to.equal(
      "Refused a data connection from 127.0.0.2, not the server's address 127.0.0.1 " +
        '(allowForeignActivePeer permits it); then: The server did not connect back within 300 ms.',
    );
    expect(intruderGotData).to.equal(false);
    expect((await client.raw('NOOP')).code).to.equal(200);
  });

  it('by default, when the server gives up on the connection it made from another address, the error says so', async () => {
    const { client } = await setup({
      handlers: {
        LIST: async (session) => {
          session.reply('150 Here it comes.');
          const node = await session.connectActive('127.0.0.2');
          await once(node, 'close');
          session.reply('426 Connection closed; transfer aborted.');
        },
      },
    });
    const error = await rejectionOf(client.list('/'));
    const refused = asForeignPeerError(error);
    expect(refused.peer).to.equal('127.0.0.2');
    expect(refused.cause).to.be.instanceOf(FtpReplyError);
    expect(refused.message).to.match(
      /^Refused a data connection from 127\.0\.0\.2, not the server's address 127\.0\.0\.1 \(allowForeignActivePeer permits it\); then: LIST \/: 426 Connection closed; transfer aborted\.$/,
    );
    expect((await client.raw('NOOP')).code).to.equal(200);
  });

  it('with allowForeignActivePeer, takes the first connection from any address and turns away the rest', async () => {
    let laterGotData = false;
    let laterClosed = false;
    const { server, client } = await setup(
      {
        handlers: {
          RETR: async (session) => {
            session.reply('150 Here it comes.');
            const node = await session.connectActive('127.0.0.2');
            // Connected before the client can close its listener: the client must turn it away.
            const later = await session.connectActive('127.0.0.3').catch(() => undefined);
            if (later !== undefined) {
              later.on('data', () => (laterGotData = true));
              later.write('EVIL DATA');
              await once(later, 'close');
            }
            laterClosed = true;
            await sendAndClose(node, CONTENT);
            session.reply('226 Done.');
          },
        },
      },
      { allowForeignActivePeer: true },
    );
    expect(await download(client)).to.deep.equal(CONTENT);
    expect(laterClosed).to.equal(true);
    expect(laterGotData).to.equal(false);
    const session = await server.session();
    const lateConnect = await session.connectActive('127.0.0.4').then(
      (late) => {
        late.destroy();
        return 'accepted';
      },
      (error: unknown) => (error as NodeJS.ErrnoException).code,
    );
    expect(lateConnect).to.equal('ECONNREFUSED');
  });

  it('rejects with ClientTimeoutError when the server never connects, and stays usable', async () => {
    let clientGaveUp = false;
    let connectError: string | undefined;
    const { server, client } = await setup(
      {
        handlers: {
          RETR: async (session) => {
            session.reply('150 Connecting (slowly).');
            await waitFor(() => clientGaveUp, 5000, 'the client to time out');
            // By now the client must have closed its listener: nobody may connect any more.
            try {
              const socket = await session.connectActive();
              socket.destroy();
            } catch (error) {
              connectError = (error as NodeJS.ErrnoException).code;
            }
            session.reply("425 Can't open data connection.");
          },
        },
      },
      { dataTimeoutMs: 150 },
    );
    const started = Date.now();
    const error = await rejectionOf(download(client));
    clientGaveUp = true;
    expect(error).to.be.instanceOf(ClientTimeoutError);
    expect(Date.now() - started).to.be.at.least(140);
    expect(client.isOpen).to.equal(true);
    expect((await client.raw('NOOP')).code).to.equal(200);
    expect(connectError).to.equal('ECONNREFUSED');
    // And the next transfer works.
    delete server.handlers.RETR;
    expect(await download(client)).to.deep.equal(CONTENT);
  });

  // Regression: the 150 pauses the reply timer; when the data connection failed before any data
  // flowed, the transfer's final reply was awaited with no limit, and every later command hung.
  it('after a data timeout, a server that never answers the transfer command does not hang the client', async () => {
    const { server, client } = await setup(
      {
        handlers: {
          RETR: (session) => session.reply('150 Connecting (never).'),
          // A stuck server: nothing more is ever said.
          NOOP: () => undefined,
        },
      },
      { dataTimeoutMs: 100, replyTimeoutMs: 300 },
    );
    expect(await rejectionOf(download(client))).to.be.instanceOf(ClientTimeoutError);
    // The final reply to RETR must now come within the reply timeout, or the connection closes.
    const outcome = await settlesWithin(client.raw('NOOP'), 1500);
    // Unstick the client whatever happened, so that afterEach's close() cannot hang.
    fake = undefined;
    await server.close();
    expect(outcome).to.be.instanceOf(ConnectionClosedError);
  });

  // Regression, same cause: ABOR written while the RETR in flight was untimed after its 150.
  it('aborting while the server has not connected settles even if the server says nothing more', async () => {
    const { server, client } = await setup(
      { handlers: { RETR: (session) => session.reply('150 Connecting (never).'), ABOR: () => undefined } },
      { dataTimeoutMs: 5000, replyTimeoutMs: 300 },
    );
    const controller = new AbortController();
    const sink = collectInto();
    const transfer = client.download('f', sink.stream, { signal: controller.signal });
    await waitFor(() => server.log.some((l) => l.startsWith('S: 150')), 5000, 'the 150');
    controller.abort();
    const outcome = await settlesWithin(transfer, 1500);
    fake = undefined;
    await server.close();
    expect((outcome as Error).name).to.equal('AbortError');
  });
});

function asForeignPeerError(error: unknown): ForeignDataPeerError {
  if (!(error instanceof ForeignDataPeerError))
    throw new Error(`expected a ForeignDataPeerError, got ${String(error)}`);
  return error;
}

/** What `promise` settles with (its value or its error), or 'still waiting' after `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), ms);
  });
  try {
    return await Promise.race([promise.catch((error: unknown) => error), guard]);
  } finally {
    clearTimeout(timer);
  }
}
