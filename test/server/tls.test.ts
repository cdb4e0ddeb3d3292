import { expect } from 'chai';
import { once } from 'node:events';
import { connect } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { connect as connectTls, TLSSocket, type SecureVersion } from 'node:tls';
import { parseEpsvReply } from '../../src/protocol/index.js';
import { loadTlsCredentials } from '../../src/server/tls/credentials.js';
import { sha256Buffer } from '../helpers/hash.js';
import { collect, RawControl } from '../helpers/raw-control.js';
import {
  PASSWORD,
  READER,
  startServer,
  USER,
  type StartOptions,
  type TestServer,
} from '../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { makeCertificate, type TestCertificate } from '../helpers/tls-cert.js';

const CONTENT = Buffer.alloc(300 * 1024, 'ftps ');

describe('server/FTPS (RFC 4217)', function () {
  let dir: TempDir;
  let certificate: TestCertificate;
  const open: (TestServer | RawControl)[] = [];

  before(async function () {
    dir = await makeTempDir('tls');
    certificate = await makeCertificate(dir.path);
  });

  after(async function () {
    await dir.remove();
  });

  afterEach(async function () {
    for (const item of open.splice(0)) await item.close();
  });

  async function serve(start: StartOptions = {}, withCertificate = true): Promise<TestServer> {
    const tls = withCertificate
      ? await loadTlsCredentials(certificate.certFile, certificate.keyFile)
      : undefined;
    const srv = await startServer({ ...start, ...(tls && { tls }) });
    open.push(srv);
    await writeFile(join(srv.root, 'file.bin'), CONTENT);
    return srv;
  }

  async function control(srv: TestServer): Promise<RawControl> {
    const c = await RawControl.connect(srv.host, srv.port);
    open.push(c);
    return c;
  }

  /** AUTH TLS, login, PBSZ 0, PROT P, TYPE I. */
  async function secureLogin(srv: TestServer, maxVersion?: SecureVersion): Promise<RawControl> {
    const c = await control(srv);
    expect((await c.command('AUTH TLS')).code).to.equal(234);
    await c.startTls(maxVersion ? { maxVersion } : {});
    await c.login(USER, PASSWORD);
    expect((await c.command('PBSZ 0')).code).to.equal(200);
    expect((await c.command('PROT P')).code).to.equal(200);
    expect((await c.command('TYPE I')).code).to.equal(200);
    return c;
  }

  /**
   * EPSV, then a TLS data connection offering `session`, then RETR; the reply, the bytes, and the
   * last session the server gave on the data connection (a TLS 1.3 ticket), if any.
   */
  async function retrieve(
    srv: TestServer,
    c: RawControl,
    session: Buffer | undefined,
    maxVersion?: SecureVersion,
  ): Promise<{ codes: number[]; texts: string[]; data: Buffer; ticket: Buffer | undefined }> {
    const port = parseEpsvReply((await c.command('EPSV')).text);
    const data: TLSSocket = connectTls({
      host: srv.host,
      port,
      rejectUnauthorized: false,
      ...(session && { session }),
      ...(maxVersion && { maxVersion }),
    });
    data.on('error', () => undefined);
    let ticket: Buffer | undefined;
    data.on('session', (given: Buffer) => (ticket = given));
    const bytes = collect(data).catch(() => Buffer.alloc(0));
    // curl's order: the handshake first, then RETR.
    await once(data, 'secureConnect');
    const first = await c.command('RETR file.bin');
    const replies = [first];
    if (first.code < 200) replies.push(await c.read());
    const received = await bytes;
    return { codes: replies.map((r) => r.code), texts: replies.map((r) => r.text), data: received, ticket };
  }

  it('without a certificate: FEAT offers no AUTH, and AUTH TLS gets 502', async function () {
    const srv = await serve({}, false);
    const c = await control(srv);
    const feat = await c.command('FEAT');
    expect(feat.text).not.to.match(/AUTH|PBSZ|PROT/);
    const auth = await c.command('AUTH TLS');
    expect(auth.code).to.equal(502);
    expect(auth.text).to.match(/no TLS certificate/);
  });

  it('with a certificate: FEAT lists AUTH TLS, PBSZ and PROT; PROT S/E get 536, CCC 533', async function () {
    const srv = await serve();
    const c = await control(srv);
    const feat = await c.command('FEAT');
    expect(feat.lines).to.include.members([' AUTH TLS', ' PBSZ', ' PROT']);
    expect((await c.command('PBSZ 0')).code).to.equal(503);
    expect((await c.command('AUTH GSSAPI')).code).to.equal(504);
    expect((await c.command('AUTH TLS')).code).to.equal(234);
    const secure = await c.startTls();
    expect(secure.getProtocol()).to.equal('TLSv1.3');
    expect((await c.command('PROT P')).code).to.equal(503);
    expect((await c.command('PBSZ 0')).code).to.equal(200);
    expect((await c.command('PROT S')).code).to.equal(536);
    expect((await c.command('PROT E')).code).to.equal(536);
    expect((await c.command('PROT X')).code).to.equal(504);
    expect((await c.command('CCC')).code).to.equal(533);
    expect((await c.command('AUTH TLS')).code).to.equal(503);
    expect((await c.command('NOOP')).code).to.equal(200);
  });

  it('a client that reads its replies slowly, before and after AUTH TLS, is served in order and leaves no listeners behind', async function () {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      const srv = await serve();
      const c = await control(srv);
      // Far more reply bytes than the socket buffers hold, read a little per turn: the server
      // stops reading to wait for the client (AUTH TLS is taken while the raw socket is paused),
      // and over TLS it waits many times; a listener left per wait would warn past ten.
      const count = 20_000;
      c.socket.pause();
      c.send('HELP\r\n'.repeat(count) + 'AUTH TLS\r\n');
      await readSlowly(c, count, 214);
      expect((await c.read()).code).to.equal(234);
      await c.startTls();
      await c.login(USER, PASSWORD);
      c.socket.pause();
      c.send('HELP\r\n'.repeat(count));
      await readSlowly(c, count, 214);
      expect((await c.command('NOOP')).code).to.equal(200);
      expect(warnings).to.deep.equal([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses TLS 1.1', async function () {
    const srv = await serve();
    const c = await control(srv);
    expect((await c.command('AUTH TLS')).code).to.equal(234);
    let failed = false;
    await c.startTls({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('drops commands sent in clear behind AUTH TLS instead of running them', async function () {
    // Optional, so that the USER would be taken if it ran.
    const srv = await serve({ options: { tlsPolicy: 'optional' } });
    const c = await control(srv);
    c.send(`AUTH TLS\r\nUSER ${USER}\r\n`);
    expect((await c.read()).code).to.equal(234);
    await c.startTls();
    // Had USER run, PASS would log in; as it did not, PASS finds no user.
    expect((await c.command(`PASS ${PASSWORD}`)).code).to.equal(503);
  });

  it('tls-policy required: USER before AUTH TLS gets 530 (anonymous excepted), a transfer without PROT P 521', async function () {
    const srv = await serve({ anonymous: 'read' });
    const plain = await control(srv);
    const user = await plain.command(`USER ${USER}`);
    expect(user.code).to.equal(530);
    expect(user.text).to.match(/TLS is required/);
    await plain.login('anonymous', 'guest@example.com');
    expect((await plain.command('SIZE file.bin')).code).to.equal(213);

    const c = await control(srv);
    expect((await c.command('AUTH TLS')).code).to.equal(234);
    await c.startTls();
    await c.login(USER, PASSWORD);
    const { socket } = await c.passive(srv.host, true);
    const retr = await c.command('RETR file.bin');
    socket.destroy();
    expect(retr.code).to.equal(521);
    expect(retr.text).to.match(/PROT P/);
  });

  it('AUTH TLS after a plain login asks for the login again (RFC 4217 section 4)', async function () {
    const srv = await serve({ options: { tlsPolicy: 'optional' } });
    const c = await control(srv);
    await c.login(READER, PASSWORD);
    expect((await c.command('CWD /')).code).to.equal(250);
    expect((await c.command('AUTH TLS')).code).to.equal(234);
    await c.startTls();
    expect((await c.command('PWD')).code).to.equal(530);
    await c.login(USER, PASSWORD);
    expect((await c.command('PWD')).code).to.equal(257);
  });

  it('under TLS a second USER is refused; REIN logs out and resets PBSZ and PROT, but TLS stays on', async function () {
    const srv = await serve();
    const c = await secureLogin(srv);
    const again = await c.command(`USER ${READER}`);
    expect(again.code).to.equal(530);
    expect(again.text).to.match(/REIN/);
    const rein = await c.command('REIN');
    expect(rein.code).to.equal(220);
    expect(rein.text).to.match(/TLS stays on/);
    // Still the TLS socket, and AUTH TLS is refused: Node cannot clear the TLS session (README).
    expect(c.socket).to.be.instanceOf(TLSSocket);
    expect((await c.command('AUTH TLS')).code).to.equal(503);
    expect((await c.command('PWD')).code).to.equal(530);
    await c.login(READER, PASSWORD);
    expect((await c.command('TYPE I')).code).to.equal(200);
    const { socket } = await c.passive(srv.host, true);
    const unprotected = await c.command('RETR file.bin');
    socket.destroy();
    expect(unprotected.code).to.equal(521);
    expect((await c.command('PBSZ 0')).code).to.equal(200);
    expect((await c.command('PROT P')).code).to.equal(200);
    // The new login's data connections resume the same control session.
    const { codes, data } = await retrieve(srv, c, c.tlsSession);
    expect(codes).to.deep.equal([150, 226]);
    expect(sha256Buffer(data)).to.equal(sha256Buffer(CONTENT));
  });

  it('tls-policy optional: plain logins and transfers work beside TLS', async function () {
    const srv = await serve({ options: { tlsPolicy: 'optional' } });
    const c = await control(srv);
    await c.login(USER, PASSWORD);
    expect((await c.command('TYPE I')).code).to.equal(200);
    const { data } = await c.passive(srv.host, true);
    expect((await c.command('RETR file.bin')).code).to.equal(150);
    expect(sha256Buffer(await data)).to.equal(sha256Buffer(CONTENT));
    expect((await c.read()).code).to.equal(226);
  });

  describe('implicit FTPS (implicitTlsPort)', function () {
    async function serveImplicit(start: StartOptions['options'] = {}): Promise<TestServer> {
      return serve({ options: { implicitTlsPort: 0, ...start } });
    }

    function implicitPort(srv: TestServer): number {
      const port = srv.server.implicitTlsAddress()?.port;
      if (port === undefined) throw new Error('no implicit FTPS port');
      return port;
    }

    async function implicit(srv: TestServer): Promise<RawControl> {
      const c = await RawControl.connectImplicit(srv.host, implicitPort(srv));
      open.push(c);
      return c;
    }

    /** Plaintext or garbage, then what the server does: the bytes it sent back until it closed. */
    async function sendRaw(srv: TestServer, bytes: Buffer | string): Promise<Buffer> {
      const socket = connect({ host: srv.host, port: implicitPort(srv) });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      const back = collect(socket).catch(() => Buffer.alloc(0));
      if (bytes.length > 0) socket.write(bytes);
      return back;
    }

    it('port 0 picks a free port beside the control port; the greeting comes over TLS', async function () {
      const srv = await serveImplicit();
      expect(implicitPort(srv)).to.be.a('number').and.not.equal(srv.port);
      const c = await implicit(srv);
      expect(c.greeting?.code).to.equal(220);
      expect(c.socket).to.be.instanceOf(TLSSocket);
      expect((await c.command('AUTH TLS')).code).to.equal(503);
    });

    it('PROT P is implied: a login and a download that resumes the session, without PBSZ or PROT', async function () {
      const srv = await serveImplicit();
      const c = await implicit(srv);
      await c.login(USER, PASSWORD);
      expect((await c.command('TYPE I')).code).to.equal(200);
      const { codes, data } = await retrieve(srv, c, c.tlsSession);
      expect(codes).to.deep.equal([150, 226]);
      expect(sha256Buffer(data)).to.equal(sha256Buffer(CONTENT));
      // After REIN too; PROT C still turns it off.
      expect((await c.command('REIN')).code).to.equal(220);
      await c.login(USER, PASSWORD);
      expect((await retrieve(srv, c, c.tlsSession)).codes).to.deep.equal([150, 226]);
    });

    it('plaintext, garbage and silence are dropped, and the server keeps serving', async function () {
      const srv = await serveImplicit({ loginTimeoutMs: 200 });
      const plaintext = await sendRaw(srv, `USER ${USER}\r\n`);
      const garbage = await sendRaw(srv, Buffer.alloc(64, 0xff));
      // Nothing but, at most, a TLS alert: never an FTP reply in clear.
      for (const back of [plaintext, garbage]) expect(back.toString('latin1')).not.to.match(/^\d{3}[ -]/);
      // A client that says nothing is cut at the login timeout.
      expect(await sendRaw(srv, '')).to.have.lengthOf(0);
      await waitFor(() => srv.server.sessionCount === 0, 5000, 'the dropped connections to end');
      const c = await implicit(srv);
      await c.login(USER, PASSWORD);
      expect((await c.command('NOOP')).code).to.equal(200);
      const plain = await control(srv);
      expect(plain.greeting?.code).to.equal(220);
    });
  });

  // OpenSSL's client cache (curl's) spends a TLS 1.3 session on the handshake that resumes it and
  // offers only the newest ticket it got: its second data connection needs a ticket the first gave.
  it('TLSv1.3: a resumed data connection gives a new ticket, which resumes the next one', async function () {
    const srv = await serve();
    const c = await secureLogin(srv, 'TLSv1.3');
    let session = c.tlsSession;
    for (let i = 1; i <= 3; i++) {
      const { codes, data, ticket } = await retrieve(srv, c, session, 'TLSv1.3');
      expect(codes, `data connection ${i}`).to.deep.equal([150, 226]);
      expect(sha256Buffer(data)).to.equal(sha256Buffer(CONTENT));
      expect(ticket, `a ticket on data connection ${i}`).to.be.instanceOf(Buffer);
      session = ticket;
    }
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    describe(`data connections over ${version}`, function () {
      it('a download that resumes the control session arrives whole', async function () {
        const srv = await serve();
        const c = await secureLogin(srv, version);
        const { codes, data } = await retrieve(srv, c, c.tlsSession, version);
        expect(codes).to.deep.equal([150, 226]);
        expect(sha256Buffer(data)).to.equal(sha256Buffer(CONTENT));
      });

      it('a data connection with a fresh TLS session is refused with 522 naming the option', async function () {
        const srv = await serve();
        const c = await secureLogin(srv, version);
        const { codes, texts, data } = await retrieve(srv, c, undefined, version);
        expect(codes).to.deep.equal([150, 522]);
        expect(texts[1]).to.match(/tls-session-reuse/);
        expect(data).to.have.lengthOf(0);
      });

      it("a data connection resuming another control connection's session is refused", async function () {
        const srv = await serve();
        const first = await secureLogin(srv, version);
        const second = await secureLogin(srv, version);
        // The second session's ticket is good: it resumes on the second's own data connection.
        const own = await retrieve(srv, second, second.tlsSession, version);
        expect(own.codes).to.deep.equal([150, 226]);
        const { codes, data } = await retrieve(srv, first, second.tlsSession, version);
        expect(codes).to.deep.equal([150, 522]);
        expect(data).to.have.lengthOf(0);
      });

      it('with tls-session-reuse optional a fresh session is let through', async function () {
        const srv = await serve({ options: { tlsSessionReuse: 'optional' } });
        const c = await secureLogin(srv, version);
        const { codes, data } = await retrieve(srv, c, undefined, version);
        expect(codes).to.deep.equal([150, 226]);
        expect(sha256Buffer(data)).to.equal(sha256Buffer(CONTENT));
      });
    });
  }
});

/**
 * Reads `count` replies of `code` from a paused control socket, one socket read per turn of the
 * event loop: a client slower than the server, which shares this process.
 */
async function readSlowly(c: RawControl, count: number, code: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    let reply = c.take();
    while (reply === undefined) {
      c.socket.read();
      await nextTurn();
      reply = c.take();
    }
    expect(reply.code).to.equal(code);
  }
  c.socket.resume();
}
