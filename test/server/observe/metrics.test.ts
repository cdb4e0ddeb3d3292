// The Prometheus endpoint as an operator scrapes it, with real clients (curl) moving files.
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { curlDownload, curlList, curlUpload } from '../../helpers/peer-clients.js';
import { RawControl } from '../../helpers/raw-control.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

/** Every sample of the exposition text, by its name with labels as written: `a_total{x="y"}`. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe('metrics endpoint', function () {
  let server: TestServer;
  let local: TempDir;
  let base: string;

  beforeEach(async function () {
    server = await startServer({ options: { metrics: { host: '127.0.0.1', port: 0 }, banAfter: 2 } });
    local = await makeTempDir('metrics');
    const at = server.server.metricsAddress();
    if (at === undefined) throw new Error('no metrics address');
    base = `http://127.0.0.1:${at.port}`;
  });

  afterEach(async function () {
    await server.close();
    await local.remove();
  });

  async function scrape(): Promise<Map<string, number>> {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    return samples(await response.text());
  }

  it('counts sessions, logins by result, bans, transfers by direction, mode and result, bytes and replies', async function () {
    await writeFile(join(server.root, 'down.bin'), Buffer.alloc(3000, 1));
    await writeFile(join(local.path, 'up.bin'), Buffer.alloc(5000, 2));
    const target = { host: server.host, port: server.port, user: server.user, password: server.password };
    const passive = { mode: 'passive', extended: true } as const;
    const active = { mode: 'active', extended: false } as const;
    expect((await curlDownload(target, 'down.bin', join(local.path, 'd'), passive)).code).to.equal(0);
    expect((await curlUpload(target, join(local.path, 'up.bin'), 'up.bin', active)).code).to.equal(0);
    expect((await curlList(target, '/', passive)).code).to.equal(0);
    // A download refused: no such file.
    expect((await curlDownload(target, 'missing', join(local.path, 'm'), passive)).code).to.not.equal(0);
    // Two wrong passwords ban the address; the third attempt, right or not, is refused unheard.
    const guesser = await RawControl.connect(server.host, server.port);
    for (const password of ['one', 'two', server.password]) {
      await guesser.command(`USER ${server.user}`);
      await guesser.command(`PASS ${password}`);
    }
    await guesser.close();

    const m = await scrape();
    expect(m.get('ftpkitd_sessions_total')).to.equal(5);
    expect(m.get('ftpkitd_logins_total{result="ok"}')).to.equal(4);
    expect(m.get('ftpkitd_logins_total{result="failed"}')).to.equal(2);
    expect(m.get('ftpkitd_logins_total{result="banned"}')).to.equal(1);
    expect(m.get('ftpkitd_bans_total{scope="address"}')).to.equal(1);
    expect(m.get('ftpkitd_transfers_total{direction="download",mode="passive",result="ok"}')).to.equal(1);
    expect(m.get('ftpkitd_transfers_total{direction="upload",mode="active",result="ok"}')).to.equal(1);
    expect(m.get('ftpkitd_transfers_total{direction="list",mode="passive",result="ok"}')).to.equal(1);
    expect(m.get('ftpkitd_transfer_bytes_total{direction="download",mode="passive"}')).to.equal(3000);
    expect(m.get('ftpkitd_transfer_bytes_total{direction="upload",mode="active"}')).to.equal(5000);
    expect(m.get('ftpkitd_replies_total{code="230"}')).to.equal(4);
    // The third failure ends the session (--max-login-failures 3): 421, not 530.
    expect(m.get('ftpkitd_replies_total{code="530"}')).to.equal(2);
    expect(m.get('ftpkitd_replies_total{code="421"}')).to.equal(1);
    expect(m.get('ftpkitd_replies_total{code="550"}')).to.equal(1);
    expect(m.get('ftpkitd_replies_total{code="226"}')).to.equal(3);
    expect(m.get('ftpkitd_data_connection_setup_seconds_count{mode="passive"}')).to.equal(2);
    expect(m.get('ftpkitd_data_connection_setup_seconds_count{mode="active"}')).to.equal(1);
    // The process's own figures, as every Node exporter has them.
    expect(m.get('process_resident_memory_bytes')).to.be.above(0);
    expect(m.has('nodejs_eventloop_lag_seconds')).to.equal(true);
  });

  it('counts an aborted transfer as aborted, and sessions as they close', async function () {
    await writeFile(join(server.root, 'big.bin'), Buffer.alloc(8 * 1024 * 1024));
    const control = await RawControl.connect(server.host, server.port);
    await control.login(server.user, server.password);
    const { socket } = await control.passive(server.host, true);
    socket.pause();
    expect((await control.command('RETR big.bin')).code).to.equal(150);
    expect((await control.command('ABOR')).code).to.equal(426);
    expect((await control.read()).code).to.equal(226);
    socket.destroy();
    let m = await scrape();
    expect(m.get('ftpkitd_transfers_total{direction="download",mode="passive",result="aborted"}')).to.equal(
      1,
    );
    expect(m.get('ftpkitd_sessions')).to.equal(1);
    await control.close();
    for (let i = 0; i < 50 && m.get('ftpkitd_sessions') !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      m = await scrape();
    }
    expect(m.get('ftpkitd_sessions')).to.equal(0);
  });

  it('counts connections refused at the door, by reason', async function () {
    await server.close();
    server = await startServer({
      options: { metrics: { host: '127.0.0.1', port: 0 }, maxConnectionsPerIp: 1 },
    });
    base = `http://127.0.0.1:${server.server.metricsAddress()?.port}`;
    const first = await RawControl.connect(server.host, server.port);
    const second = await RawControl.connect(server.host, server.port);
    expect(second.greeting?.code).to.equal(421);
    const m = await scrape();
    expect(m.get('ftpkitd_connections_refused_total{reason="max-per-ip"}')).to.equal(1);
    await first.close();
    await second.close();
  });

  it('answers only GET /metrics: 404 elsewhere, 405 for other methods', async function () {
    expect((await fetch(`${base}/`)).status).to.equal(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).to.equal(405);
    expect((await fetch(`${base}/metrics`, { method: 'HEAD' })).status).to.equal(200);
  });

  it('is off by default: no port is opened', async function () {
    const plain = await startServer();
    try {
      expect(plain.server.metricsAddress()).to.equal(undefined);
    } finally {
      await plain.close();
    }
  });
});
