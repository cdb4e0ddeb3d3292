// FtpClient's FTPS paths against a scripted server on loopback that speaks TLS where the test
// says: the data handshake aborted or never answered, AUTH TLS and PROT P refused, clear text
// behind the 234, and the control connection's replies moving over to TLS (1.2 and 1.3).
import { expect } from 'chai';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { createSecureContext, TLSSocket, type SecureContext, type SecureVersion } from 'node:tls';
import { FtpClient } from '../../src/client/client.js';
import {
  ClientTimeoutError,
  ConnectionClosedError,
  FtpReplyError,
  TlsCertificateError,
} from '../../src/client/errors.js';
import type { ConnectOptions, DataMode } from '../../src/client/options.js';
import {
  makeTestCertificates,
  type CertificateFiles,
  type TestCertificates,
} from '../helpers/certificates.js';
import {
  collectInto,
  connectTo,
  downloadBytes,
  FakeServer,
  sendAndClose,
  type FakeHandler,
  type FakeSession,
} from './fake-server.js';

const MODES: readonly DataMode[] = ['passive', 'active'];

async function contextFor(
  cert: CertificateFiles,
  maxVersion: SecureVersion = 'TLSv1.3',
): Promise<SecureContext> {
  const [pem, key] = await Promise.all([readFile(cert.certFile), readFile(cert.keyFile)]);
  return createSecureContext({ cert: pem, key, minVersion: 'TLSv1.2', maxVersion });
}

/** TLS over a data connection, the fake being the TLS server (RFC 4217 section 7). */
async function secureData(raw: Socket, context: SecureContext): Promise<TLSSocket> {
  const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
  secure.on('error', () => undefined);
  await once(secure, 'secure');
  return secure;
}

/** Explicit FTPS as a cooperative server speaks it: AUTH TLS, PBSZ 0, PROT P. */
function tlsHandlers(context: SecureContext): Record<string, FakeHandler> {
  return {
    AUTH: (s) => {
      s.reply('234 Go ahead.');
      s.startTls(context);
    },
    PBSZ: (s) => s.reply('200 PBSZ=0'),
    PROT: (s) => s.reply('200 Protection level set to P.'),
  };
}

/** A data connection the fake accepts (or makes) and then leaves without its side of TLS. */
function stallData(s: FakeSession, onHello: () => void, onClose: () => void): void {
  void s.dataSocket().then((raw) => {
    raw.once('data', onHello);
    raw.once('close', onClose);
  });
}

describe('client FTPS paths (fake server on loopback)', function () {
  let certs: TestCertificates;
  let context: SecureContext;
  let servers: FakeServer[] = [];
  let clients: FtpClient[] = [];

  before(async function () {
    certs = await makeTestCertificates();
    context = await contextFor(certs.valid);
  });

  after(async function () {
    await certs.remove();
  });

  afterEach(async function () {
    for (const client of clients.splice(0)) await client.close();
    for (const server of servers.splice(0)) await server.close();
    servers = [];
    clients = [];
  });

  async function start(handlers: Record<string, FakeHandler>): Promise<FakeServer> {
    const server = await FakeServer.start({ handlers: { ...tlsHandlers(context), ...handlers } });
    servers.push(server);
    return server;
  }

  async function connect(
    fake: FakeServer,
    mode: DataMode,
    options: Partial<ConnectOptions> = {},
  ): Promise<FtpClient> {
    const client = await connectTo(fake, mode, { secure: 'explicit', ca: certs.ca, ...options });
    clients.push(client);
    return client;
  }

  describe('the control connection moving over to TLS after the 234', function () {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      for (const mode of MODES) {
        it(`${version}, ${mode}: every reply after the 234 is read from TLS, and a download works`, async function () {
          const versioned = await contextFor(certs.valid, version);
          const payload = Buffer.from('over TLS, byte for byte\n'.repeat(1000));
          const fake = await start({
            ...tlsHandlers(versioned),
            RETR: async (s) => {
              s.reply('150 Here it comes.');
              await sendAndClose(await secureData(await s.dataSocket(), versioned), payload);
              s.reply('226 Done.');
            },
          });
          const client = await connect(fake, mode);
          expect(client.tls).to.deep.equal({ version, dataProtected: true });
          expect(fake.lines.slice(0, 5)).to.deep.equal(['AUTH TLS', 'PBSZ 0', 'PROT P', 'USER u', 'PASS p']);
          expect(await downloadBytes(client)).to.deep.equal(payload);
          expect((await client.raw('NOOP')).code).to.equal(200);
        });
      }
    }

    for (const [what, behind, says] of [
      ['a whole reply', '200 Injected.\r\n', /Unexpected reply 200 Injected\./],
      ['part of a reply', '200 Inj', /127\.0\.0\.1 sent clear text behind its 234 to AUTH TLS/],
    ] as const) {
      it(`refuses ${what} sent in clear behind the 234: nothing more is sent`, async function () {
        const fake = await start({
          AUTH: (s) => {
            // One write, so both arrive together: what a man in the middle would add.
            s.write(`234 Go ahead.\r\n${behind}`);
            s.startTls(context);
          },
        });
        let error: unknown;
        try {
          await connect(fake, 'passive');
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(ConnectionClosedError);
        expect((error as Error).message).to.match(says);
        expect(fake.lines).to.deep.equal(['AUTH TLS']);
        const session = await fake.session();
        if (!session.socket.destroyed) await once(session.socket, 'close');
      });
    }
  });

  describe('a refused AUTH TLS or PROT P', function () {
    const refusals: {
      verb: string;
      handlers: Record<string, FakeHandler>;
      command: string;
      code: number;
      sent: string[];
    }[] = [
      {
        verb: 'AUTH TLS',
        handlers: { AUTH: (s) => s.reply('534 TLS not available.') },
        command: 'AUTH TLS',
        code: 534,
        sent: ['AUTH TLS'],
      },
      {
        verb: 'PROT P',
        handlers: { PROT: (s) => s.reply('536 PROT P not supported.') },
        command: 'PROT P',
        code: 536,
        sent: ['AUTH TLS', 'PBSZ 0', 'PROT P'],
      },
    ];
    for (const { verb, handlers, command, code, sent } of refusals) {
      it(`${verb}: connect() rejects with the reply, closes the connection, and sends no USER`, async function () {
        const fake = await start(handlers);
        const client = new FtpClient({ secure: 'explicit', ca: certs.ca });
        let error: unknown;
        try {
          await client.connect({ host: fake.host, port: fake.port });
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(FtpReplyError);
        expect((error as FtpReplyError).command).to.equal(command);
        expect((error as FtpReplyError).replyCode).to.equal(code);
        expect(client.isOpen).to.equal(false);
        expect(client.tls).to.equal(undefined);
        let later: unknown;
        try {
          await client.login('u', 'p');
        } catch (caught) {
          later = caught;
        }
        expect(later).to.be.instanceOf(ConnectionClosedError);
        const session = await fake.session();
        if (!session.socket.destroyed) await once(session.socket, 'close');
        expect(fake.lines).to.deep.equal(sent);
      });
    }
  });

  describe('the data connection handshake', function () {
    for (const verb of ['download', 'upload'] as const) {
      for (const mode of MODES) {
        it(`${verb}, ${mode}: an abort during it sends ABOR, rejects with the reason, and the session goes on`, async function () {
          let helloSeen: () => void = () => undefined;
          const hello = new Promise<void>((resolve) => (helloSeen = resolve));
          const transfer: FakeHandler = (s) => {
            s.reply('150 Go.');
            stallData(s, helloSeen, () => undefined);
          };
          const fake = await start({
            RETR: transfer,
            STOR: transfer,
            ABOR: (s) => s.reply('426 Transfer aborted.\r\n226 ABOR done.'),
          });
          const client = await connect(fake, mode);
          const controller = new AbortController();
          const reason = new Error('stop');
          const running =
            verb === 'download'
              ? client.download('f', collectInto().stream, { signal: controller.signal })
              : client.upload(Readable.from([Buffer.from('data')]), 'f', { signal: controller.signal });
          void running.catch(() => undefined);
          await hello;
          controller.abort(reason);
          let error: unknown;
          try {
            await running;
          } catch (caught) {
            error = caught;
          }
          expect(error).to.equal(reason);
          expect(fake.lines).to.include('ABOR');
          expect((await client.raw('NOOP')).code).to.equal(200);
        });
      }
    }

    for (const mode of MODES) {
      it(`${mode}: a server that never answers it gets a ClientTimeoutError (data) after dataTimeoutMs, and the session goes on`, async function () {
        const transfer: FakeHandler = (s) => {
          s.reply('150 Go.');
          stallData(
            s,
            () => undefined,
            () => s.reply('426 Data connection closed.'),
          );
        };
        const fake = await start({ RETR: transfer });
        const client = await connect(fake, mode, { dataTimeoutMs: 300 });
        let error: unknown;
        try {
          await downloadBytes(client);
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(ClientTimeoutError);
        expect((error as ClientTimeoutError).phase).to.equal('data');
        expect((error as Error).message).to.match(/TLS handshake with 127\.0\.0\.1 not done within 300 ms/);
        expect((await client.raw('NOOP')).code).to.equal(200);
      });
    }

    it('a data certificate that does not verify is the error, not the server reply to the dropped connection', async function () {
      const selfSigned = await contextFor(certs.selfSigned);
      const fake = await start({
        RETR: (s) => {
          s.reply('150 Go.');
          void s.dataSocket().then((raw) => {
            raw.once('close', () => s.reply('426 Data connection closed.'));
            secureData(raw, selfSigned).catch(() => undefined);
          });
        },
      });
      const client = await connect(fake, 'passive');
      let error: unknown;
      try {
        await downloadBytes(client);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(TlsCertificateError);
      expect((error as TlsCertificateError).problem).to.equal('self-signed');
      expect((await client.raw('NOOP')).code).to.equal(200);
    });
  });
});
