// Sessions behind a load balancer that sends PROXY headers: the client's address from the header is
// the one the limits, the logs and the data connection checks use. On loopback the "proxy" is
// 127.0.0.9 and the clients it speaks for are 127.0.0.5 and up, so each address is told apart.
import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { parseEpsvReply } from '../../../src/protocol/index.js';
import { createLogger } from '../../../src/server/logger.js';
import { loadTlsCredentials } from '../../../src/server/tls/credentials.js';
import { memorySink, type MemorySink } from '../../helpers/memory-sink.js';
import { collect, RawControl } from '../../helpers/raw-control.js';
import { startServer, type StartOptions, type TestServer } from '../../helpers/start-server.js';
import { makeCertificate } from '../../helpers/tls-cert.js';

const PROXY = '127.0.0.9';
const CLIENT = '127.0.0.5';

function v1(client: string, port = 40000): string {
  return `PROXY TCP4 ${client} 127.0.0.1 ${port} 21\r\n`;
}

function v2(command: 'PROXY' | 'LOCAL', client = CLIENT): Buffer {
  const header = Buffer.alloc(28);
  Buffer.from('0d0a0d0a000d0a515549540a', 'hex').copy(header);
  header[12] = command === 'PROXY' ? 0x21 : 0x20;
  header[13] = 0x11;
  header.writeUInt16BE(12, 14);
  client.split('.').forEach((part, i) => (header[16 + i] = Number(part)));
  [127, 0, 0, 1].forEach((part, i) => (header[20 + i] = part));
  header.writeUInt16BE(40000, 24);
  header.writeUInt16BE(21, 26);
  return header;
}

/** Resolves when the server closes the connection, with what it sent before. */
async function closedAfter(socket: Socket): Promise<string> {
  let text = '';
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  // Not once(): it would reject on the reset a server's destroy() may cause.
  await new Promise((resolve) => socket.on('close', resolve));
  return text;
}

describe('sessions behind a PROXY protocol load balancer', function () {
  let srv: TestServer;
  let sink: MemorySink;
  const open: RawControl[] = [];

  async function serve(options: StartOptions['options'] = {}, start: StartOptions = {}): Promise<void> {
    sink = memorySink();
    srv = await startServer({
      options: { proxyProtocol: true, trustedProxies: [PROXY], ...options },
      logger: createLogger('info', sink.stream),
      ...start,
    });
  }

  async function through(preamble: Buffer | string, from = PROXY): Promise<RawControl> {
    const control = await RawControl.connect('127.0.0.1', srv.port, { localAddress: from, preamble });
    open.push(control);
    return control;
  }

  afterEach(async function () {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await srv.close();
  });

  it('greets only once the header is read, and the session sees the client it names', async function () {
    await serve();
    const socket = connect({ host: '127.0.0.1', port: srv.port, localAddress: PROXY });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await once(socket, 'connect');
    const header = v1(CLIENT);
    socket.write(header.slice(0, 20));
    // The server speaks first in FTP; a greeting before the header would go out under the proxy's name.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(Buffer.concat(received).toString()).to.equal('');
    socket.write(header.slice(20));
    await once(socket, 'data');
    expect(Buffer.concat(received).toString()).to.match(/^220 /);
    socket.destroy();

    const control = await through(v1(CLIENT));
    await control.login(srv.user, srv.password);
    expect((await control.command('STAT')).text).to.contain(`Connected from ${CLIENT}`);
    await control.command('SIZE missing');
    const failed = sink.lines().find((line) => line.msg === 'command failed');
    expect(failed?.ip).to.equal(CLIENT);
  });

  it('reads v2 headers, and serves the bytes that came behind one in the same segment', async function () {
    await serve();
    const control = await through(Buffer.concat([v2('PROXY', '127.0.0.6'), Buffer.from('USER tester\r\n')]));
    expect(control.greeting?.code).to.equal(220);
    expect((await control.read()).code).to.equal(331);
    expect((await control.command(`PASS ${srv.password}`)).code).to.equal(230);
    expect((await control.command('STAT')).text).to.contain('Connected from 127.0.0.6');
    // LOCAL (a health check) speaks for the proxy itself.
    const local = await through(v2('LOCAL'));
    await local.login(srv.user, srv.password);
    expect((await local.command('STAT')).text).to.contain(`Connected from ${PROXY}`);
  });

  it('takes passive data connections through the proxy for the client its header names, or from that client', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'ftpkit-proxy-xferlog-'));
    const xferlog = join(dir, 'xferlog');
    await serve({ xferlog });
    await writeFile(join(srv.root, 'f.txt'), 'hello');
    const control = await through(v1(CLIENT));
    await control.login(srv.user, srv.password);
    let port = parseEpsvReply((await control.command('EPSV')).text);
    // From the proxy: one with no header, one whose header names another client.
    const bare = connect({ host: '127.0.0.1', port, localAddress: PROXY });
    await once(bare, 'connect');
    bare.write('hello?');
    expect(await closedAfter(bare)).to.equal('');
    const intruder = connect({ host: '127.0.0.1', port, localAddress: PROXY });
    intruder.write(v2('PROXY', '127.0.0.7'));
    expect(await closedAfter(intruder)).to.equal('');
    const data = connect({ host: '127.0.0.1', port, localAddress: PROXY });
    data.write(v2('PROXY', CLIENT));
    const body = collect(data);
    expect((await control.command('RETR f.txt')).code).to.equal(150);
    expect((await control.read()).code).to.equal(226);
    expect((await body).toString()).to.equal('hello');
    const warnings = sink
      .lines()
      .filter((line) => line.msg?.toString().startsWith('passive data connection'));
    expect(warnings.map(({ msg, remote, proxy, reason }) => ({ msg, remote, proxy, reason }))).to.deep.equal([
      {
        msg: 'passive data connection from a trusted proxy without a valid PROXY header refused',
        remote: undefined,
        proxy: PROXY,
        reason: 'not a PROXY protocol header',
      },
      {
        msg: 'passive data connection from a foreign address refused',
        remote: '127.0.0.7',
        proxy: PROXY,
        reason: undefined,
      },
    ]);
    // The client straight to the node, around the balancer, as before.
    port = parseEpsvReply((await control.command('EPSV')).text);
    const direct = connect({ host: '127.0.0.1', port, localAddress: CLIENT });
    await once(direct, 'connect');
    const again = collect(direct);
    expect((await control.command('RETR f.txt')).code).to.equal(150);
    expect((await control.read()).code).to.equal(226);
    expect((await again).toString()).to.equal('hello');
    await srv.close();
    // xferlog(5)'s remote-host field.
    expect((await readFile(xferlog, 'utf8')).split(' ')).to.include(CLIENT);
    await rm(dir, { recursive: true, force: true });
  });

  it('connects active data connections to the client the header names, and nowhere else', async function () {
    await serve();
    await writeFile(join(srv.root, 'f.txt'), 'hello');
    const control = await through(v1(CLIENT));
    await control.login(srv.user, srv.password);
    expect((await control.command(`EPRT |1|${PROXY}|40000|`)).code).to.equal(501);
    expect((await control.command('PORT 127,0,0,1,156,64')).code).to.equal(501);
    const listener = createServer();
    listener.listen(0, CLIENT);
    await once(listener, 'listening');
    const accepted = once(listener, 'connection') as Promise<[Socket]>;
    const { port } = listener.address() as AddressInfo;
    expect((await control.command(`EPRT |1|${CLIENT}|${port}|`)).code).to.equal(200);
    expect((await control.command('RETR f.txt')).code).to.equal(150);
    const [socket] = await accepted;
    expect((await collect(socket)).toString()).to.equal('hello');
    expect((await control.read()).code).to.equal(226);
    listener.close();
  });

  it('counts per-address limits by the client the header names', async function () {
    await serve({ maxConnectionsPerIp: 1 });
    const first = await through(v1(CLIENT));
    const other = await through(v1('127.0.0.6'));
    expect([first.greeting?.code, other.greeting?.code]).to.deep.equal([220, 220]);
    const again = await through(v1(CLIENT));
    expect(again.greeting?.code).to.equal(421);
  });

  it('closes a connection from a trusted proxy whose header is malformed, late or missing', async function () {
    await serve({ loginTimeoutMs: 300 });
    // A balancer's health check: connected, closed, not a byte. Closed quietly (debug only).
    const check = connect({ host: '127.0.0.1', port: srv.port, localAddress: PROXY });
    await once(check, 'connect');
    check.destroy();
    for (const bad of [
      'PROXY TCP4 127.0.0.5 127.0.0.1 99999 21\r\n',
      'USER tester\r\n',
      v1(CLIENT).slice(0, 30),
    ]) {
      const socket = connect({ host: '127.0.0.1', port: srv.port, localAddress: PROXY });
      socket.write(bad);
      expect(await closedAfter(socket), JSON.stringify(bad)).to.equal('');
    }
    const refusals = sink.lines().filter((line) => line.msg === 'PROXY header refused; connection closed');
    expect(refusals.map((line) => line.reason)).to.deep.equal([
      'PROXY v1 line malformed',
      'not a PROXY protocol header',
      'no PROXY header in time',
    ]);
    expect(refusals.every((line) => line.proxy === PROXY)).to.equal(true);
  });

  it('closes a connection that sends a header from an address not trusted, and serves it plainly otherwise', async function () {
    await serve();
    for (const header of [v1(CLIENT), v2('PROXY')]) {
      const socket = connect({ host: '127.0.0.1', port: srv.port, localAddress: '127.0.0.7' });
      socket.write(header);
      expect(await closedAfter(socket)).to.match(/^220 /);
    }
    const warnings = sink
      .lines()
      .filter((line) => line.msg?.toString().startsWith('PROXY header from an address not trusted'));
    expect(warnings.map((line) => line.ip)).to.deep.equal(['127.0.0.7', '127.0.0.7']);
    const direct = await RawControl.connect('127.0.0.1', srv.port, { localAddress: '127.0.0.7' });
    open.push(direct);
    await direct.login(srv.user, srv.password);
    expect((await direct.command('STAT')).text).to.contain('Connected from 127.0.0.7');
  });

  it('closes connections still waiting for their header when the server shuts down', async function () {
    await serve();
    const socket = connect({ host: '127.0.0.1', port: srv.port, localAddress: PROXY });
    await once(socket, 'connect');
    socket.write('PROXY TCP4 ');
    const closed = closedAfter(socket);
    // Without the connection closed, server.close() would wait for the header timeout (60 s).
    await srv.server.close(1000);
    expect(await closed).to.equal('');
  });

  it('reads the header before the TLS handshake on the implicit FTPS port', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'ftpkit-proxy-tls-'));
    try {
      const certificate = await makeCertificate(dir);
      await serve(
        { implicitTlsPort: 0 },
        { tls: await loadTlsCredentials(certificate.certFile, certificate.keyFile) },
      );
      const port = srv.server.implicitTlsAddress()?.port ?? 0;
      const raw = connect({ host: '127.0.0.1', port, localAddress: PROXY });
      await once(raw, 'connect');
      // The header and the ClientHello in one write, as a proxy may well send them: the server
      // must hand the bytes behind the header to the TLS handshake.
      let header: Buffer | undefined = v2('PROXY');
      const transport = new Duplex({
        write(chunk: Buffer, _encoding, callback) {
          raw.write(header === undefined ? chunk : Buffer.concat([header, chunk]), callback);
          header = undefined;
        },
        read() {},
      });
      raw.on('data', (chunk: Buffer) => transport.push(chunk));
      raw.on('end', () => transport.push(null));
      const secure = connectTls({ socket: transport, rejectUnauthorized: false });
      await once(secure, 'secureConnect');
      const text: string[] = [];
      secure.on('data', (chunk: Buffer) => text.push(chunk.toString()));
      secure.write(`USER ${srv.user}\r\nPASS ${srv.password}\r\nSTAT\r\n`);
      while (!text.join('').includes('211 End')) await once(secure, 'data');
      expect(text.join('')).to.contain(`Connected from ${CLIENT}`);
      secure.destroy();
      raw.destroy();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
