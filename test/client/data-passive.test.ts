import { expect } from 'chai';
import { rejectionOf } from '../helpers/rejection.js';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { FtpClient } from '../../src/client/client.js';
import { ClientTimeoutError, ForeignPasvHostError, FtpReplyError } from '../../src/client/errors.js';
import type { ConnectOptions } from '../../src/client/options.js';
import { encodeHostPort, ProtocolViolationError } from '../../src/protocol/index.js';
import { asReplyError, FakeServer, type FakeHandler, connectTo, downloadBytes } from './fake-server.js';

const CONTENT = Buffer.from('passive bytes\n'.repeat(1000));

/** A PASV handler that listens on `listenHost` and names `advertised` in the 227 reply. */
function pasvNaming(advertised: string, listenHost?: string): FakeHandler {
  return async (session) => {
    const port = await session.listenData(listenHost ?? session.server.host);
    session.reply(`227 Entering Passive Mode (${encodeHostPort({ host: advertised, port })}).`);
  };
}

const refuseEpsv: FakeHandler = (session) => session.reply('500 EPSV not understood.');

describe('client/data/passive', () => {
  let fake: FakeServer | undefined;
  const clients: FtpClient[] = [];

  async function setup(
    server: Parameters<typeof FakeServer.start>[0] = {},
    options: Partial<ConnectOptions> = {},
  ): Promise<{ server: FakeServer; client: FtpClient }> {
    fake = await FakeServer.start(server);
    fake.files.set('f', CONTENT);
    const client = await connectTo(fake, 'passive', options);
    clients.push(client);
    return { server: fake, client };
  }

  const download = downloadBytes;

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await fake?.close();
    fake = undefined;
  });

  it('asks EPSV first and connects to the control peer at the port it names', async () => {
    const { server, client } = await setup();
    expect(await download(client)).to.deep.equal(CONTENT);
    const lines = server.lines;
    expect(lines).to.include('EPSV');
    expect(lines).to.not.include('PASV');
    expect(lines.indexOf('EPSV')).to.be.below(lines.indexOf('RETR f'));
  });

  it('falls back to PASV when EPSV is unknown, and goes straight to PASV from then on', async () => {
    const { server, client } = await setup({ handlers: { EPSV: refuseEpsv } });
    expect(await download(client)).to.deep.equal(CONTENT);
    expect(await download(client)).to.deep.equal(CONTENT);
    const transfer = server.lines.filter((l) => ['EPSV', 'PASV', 'RETR f'].includes(l));
    expect(transfer).to.deep.equal(['EPSV', 'PASV', 'RETR f', 'PASV', 'RETR f']);
  });

  it('refuses a PASV reply naming another host (127.0.0.2) and stays usable', async () => {
    let connected = false;
    const { server, client } = await setup({
      handlers: {
        EPSV: refuseEpsv,
        PASV: async (session) => {
          const port = await session.listenData('127.0.0.2');
          void session.dataSocket().then(() => (connected = true));
          session.reply(`227 Entering Passive Mode (${encodeHostPort({ host: '127.0.0.2', port })}).`);
        },
      },
    });
    const error = await rejectionOf(download(client));
    expect(error).to.be.instanceOf(ProtocolViolationError);
    expect(error.message).to.contain('127.0.0.2');
    expect(server.lines).to.not.include('RETR f');
    expect((await client.raw('NOOP')).code).to.equal(200);
    expect(connected).to.equal(false);
  });

  it('refuses a PASV reply naming 10.1.2.3 without trying to connect there', async () => {
    const { server, client } = await setup({
      handlers: { EPSV: refuseEpsv, PASV: pasvNaming('10.1.2.3') },
    });
    const error = await rejectionOf(download(client));
    expect(error).to.be.instanceOf(ForeignPasvHostError).and.to.be.instanceOf(ProtocolViolationError);
    expect(error).to.include({ host: '10.1.2.3', serverAddress: '127.0.0.1' });
    expect(error.message).to.equal(
      "PASV reply names 10.1.2.3, not the server's address 127.0.0.1; refused (allowForeignPasvHost permits it).",
    );
    expect(server.lines).to.not.include('RETR f');
    expect(client.isOpen).to.equal(true);
  });

  it('follows a PASV reply naming another host when allowForeignPasvHost is set', async () => {
    const { server, client } = await setup(
      { handlers: { EPSV: refuseEpsv, PASV: pasvNaming('127.0.0.2', '127.0.0.2') } },
      { allowForeignPasvHost: true },
    );
    expect(await download(client)).to.deep.equal(CONTENT);
    expect(server.lines).to.include('RETR f');
  });

  it('accepts a PASV reply that names the control peer itself', async () => {
    const { client } = await setup({ handlers: { EPSV: refuseEpsv, PASV: pasvNaming('127.0.0.1') } });
    expect(await download(client)).to.deep.equal(CONTENT);
  });

  it('does not fall back to PASV when EPSV fails for another reason than being unknown', async () => {
    const { server, client } = await setup({
      handlers: { EPSV: (session) => session.reply('425 No passive ports left.') },
    });
    const error = await rejectionOf(download(client));
    expect(error).to.be.instanceOf(FtpReplyError);
    expect(asReplyError(error).replyCode).to.equal(425);
    expect(server.lines).to.not.include('PASV');
  });

  it('a data connection that cannot be opened rejects, and the client stays usable', async () => {
    const { server, client } = await setup({
      handlers: {
        EPSV: async (session) => {
          // A port that was free a moment ago: nothing listens there now.
          const probe = createServer();
          probe.listen(0, '127.0.0.1');
          await once(probe, 'listening');
          const port = (probe.address() as { port: number }).port;
          probe.close();
          await once(probe, 'close');
          session.reply(`229 Entering Extended Passive Mode (|||${port}|).`);
        },
      },
    });
    const error = await rejectionOf(download(client));
    expect((error as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
    expect(server.lines).to.not.include('RETR f');
    expect((await client.raw('NOOP')).code).to.equal(200);
  });

  it('a data connection that goes silent rejects with ClientTimeoutError after dataTimeoutMs', async () => {
    const { client } = await setup(
      {
        handlers: {
          RETR: async (session) => {
            session.reply('150 Here it comes (10 bytes).');
            const socket = await session.dataSocket();
            socket.write('12345');
            // Stall until the client gives up and closes, as a stuck server would, then say so.
            socket.resume();
            await once(socket, 'close');
            session.reply('426 Connection closed; transfer aborted.');
          },
        },
      },
      { dataTimeoutMs: 150 },
    );
    const started = Date.now();
    const error = await rejectionOf(download(client));
    expect(error).to.be.instanceOf(ClientTimeoutError);
    expect(Date.now() - started).to.be.at.least(140);
    expect((await client.raw('NOOP')).code).to.equal(200);
  });

  describe('over IPv6 (::1)', () => {
    it('uses EPSV and never PASV', async () => {
      const { server, client } = await setup({ host: '::1' }, { host: '::1' });
      expect(await download(client)).to.deep.equal(CONTENT);
      expect(await download(client)).to.deep.equal(CONTENT);
      expect(server.lines.filter((l) => l === 'EPSV')).to.have.length(2);
      expect(server.lines).to.not.include('PASV');
    });

    it('gives up when EPSV is refused, rather than sending PASV (which cannot say IPv6)', async () => {
      const { server, client } = await setup(
        { host: '::1', handlers: { EPSV: refuseEpsv } },
        { host: '::1' },
      );
      const error = await rejectionOf(download(client));
      expect(error).to.be.instanceOf(FtpReplyError);
      expect(asReplyError(error).replyCode).to.equal(500);
      expect(server.lines).to.not.include('PASV');
      expect(server.lines).to.not.include('RETR f');
      expect((await client.raw('NOOP')).code).to.equal(200);
    });
  });
});
