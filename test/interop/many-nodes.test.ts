// Issue 19, "many nodes": two ftpkitd nodes (the real bin) on one shared store behind HAProxy in TCP
// mode with PROXY protocol v2, deployed as across hosts: clients reach the balancer only
// (127.0.0.20), which forwards the control port to either node and each node's own passive range
// to that node, with a PROXY header on every connection; the nodes listen on 127.0.0.1 and
// announce the balancer's address in a 227. A file uploaded through one node is listed and
// downloaded through the other, by curl (EPSV, PASV, EPRT, PORT; EPSV under FTPS with PROT P)
// and by the ftpkit client (passive, and active with allowForeignActivePeer: a node connects back
// from its own address, which the client refuses by default, with an error that says so); the
// nodes log the client's address, not the proxy's; a PROXY header from an address not trusted is
// refused; SIGHUP on each node re-reads the shared users file. HAProxy reaches the nodes from
// 127.0.0.9 (its `source`), the only trusted proxy; curl binds 127.0.0.5, and the ftpkit client is
// 127.0.0.1 (the kernel's source address towards 127.0.0.20).
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FtpClient, ForeignDataPeerError } from '../../src/client/index.js';
import { startHaproxy, type Backend, type Haproxy } from '../helpers/haproxy.js';
import { curlBatch, curlUpload, type FtpTarget } from '../helpers/peer-clients.js';
import { requirePeer } from '../helpers/peers.js';
import { makeCertificate, type TestCertificate } from '../helpers/tls-cert.js';
import { run, startProcess, type ProcessHandle } from '../helpers/process.js';
import { RawControl } from '../helpers/raw-control.js';
import { requireStore, s3Client, type StoreKind } from '../helpers/stores.js';
import { sharedSwift, SWIFT_CREDENTIALS } from '../helpers/swift.js';
import { MODES, ok } from './helpers.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/ftpkitd.js');
const BALANCER = '127.0.0.20';
const NODE_HOST = '127.0.0.1';
const PROXY_SOURCE = '127.0.0.9';
const CURL_CLIENT = '127.0.0.5';
const LIBRARY_CLIENT = '127.0.0.1';

/** What the two nodes share; each node serves it with `nodeArgs`. */
export interface SharedStore {
  nodeArgs: readonly string[];
  /** Environment the nodes need beside it (the S3 store's credentials). */
  env?: NodeJS.ProcessEnv;
  /** Called after the nodes have stopped. */
  dispose(): Promise<void>;
}

/**
 * The stores the suite runs on, each given a fresh folder of the test's own: a folder both nodes
 * serve, and a bucket on the run's Swift both nodes serve through its S3 layer.
 */
export const SHARED_STORES: Record<string, { kind: StoreKind; make: (dir: string) => Promise<SharedStore> }> =
  {
    'local folder': {
      kind: 'local',
      async make(dir) {
        const root = join(dir, 'shared-root');
        await mkdir(root);
        return { nodeArgs: ['--root', root], dispose: () => Promise.resolve() };
      },
    },
    'S3 bucket': {
      kind: 's3',
      async make(dir) {
        const swift = await sharedSwift();
        const bucket = `ftpkit-nodes-${randomBytes(4).toString('hex')}`;
        const client = s3Client(swift);
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        client.destroy();
        return {
          // The root only holds the accounts' (empty) home folders; the files are in the bucket.
          nodeArgs: [
            ...['--root', join(dir, 'homes'), '--store', `s3://${bucket}/ftp`],
            ...['--s3-endpoint', swift.endpoint, '--s3-path-style'],
          ],
          env: {
            AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
          },
          dispose: () => Promise.resolve(),
        };
      },
    },
  };

interface Node {
  handle: ProcessHandle;
  port: number;
  pasvRange: { min: number; max: number };
}

/** The parsed JSON log lines a node printed since `mark`. */
function logSince(node: Node, mark: number): Record<string, unknown>[] {
  return node.handle
    .linesSince(mark, 'stdout')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

for (const [storeName, { kind, make: makeStore }] of Object.entries(SHARED_STORES)) {
  describe(`interop: two ftpkitd nodes on one ${storeName} behind HAProxy with PROXY protocol`, function () {
    this.timeout(60_000);
    // Empty until before() makes it: a suite skipped for a missing peer has nothing to remove.
    let dir = '';
    let store: SharedStore | undefined;
    let users: string;
    const nodes: Node[] = [];
    let haproxy: Haproxy | undefined;
    let certificate: TestCertificate | undefined;

    async function addUser(name: string): Promise<void> {
      const added = await run(process.execPath, [BIN, 'passwd', '--users', users, name], {
        input: `${name}-pw\n`,
      });
      expect(added.code, added.stderr).to.equal(0);
    }

    async function startNode(shared: SharedStore, pasvRange: { min: number; max: number }): Promise<Node> {
      const handle = await startProcess(
        process.execPath,
        [
          BIN,
          ...shared.nodeArgs,
          ...['--host', NODE_HOST, '--port', '0', '--users', users],
          ...['--proxy-protocol', '--trusted-proxies', PROXY_SOURCE],
          ...['--pasv-address', BALANCER, '--pasv-range', `${pasvRange.min}-${pasvRange.max}`],
          ...['--login-delay', '0', '--log-format', 'json', '--log-level', 'debug'],
          // FTPS for the client that asks (AUTH TLS); the others stay plain.
          ...['--tls-cert', certificate?.certFile ?? '', '--tls-key', certificate?.keyFile ?? ''],
          ...['--tls-policy', 'optional'],
        ],
        { env: { XDG_STATE_HOME: join(dir, 'state'), ...shared.env } },
      );
      const listening = await handle.waitForLine(/^.*"msg":"listening".*$/, { stream: 'stdout' });
      return { handle, port: Number(/"port":(\d+)/.exec(listening[0])?.[1]), pasvRange };
    }

    /** The nodes as HAProxy's backends, each with its passive range forwarded unless `control` only. */
    function backends(control = false): Backend[] {
      return nodes.map((node) => ({
        host: NODE_HOST,
        port: node.port,
        ...(control ? {} : { pasvRange: node.pasvRange }),
      }));
    }

    before(async function () {
      requirePeer(this, 'haproxy');
      requirePeer(this, 'curl');
      requireStore(this, kind);
      dir = await mkdtemp(join(tmpdir(), 'ftpkit-nodes-'));
      users = join(dir, 'users.json');
      await addUser('alice');
      store = await makeStore(dir);
      certificate = await makeCertificate(dir);
      // Distinct ranges below the ephemeral ports, so nothing else on the machine holds them.
      const base = 20_000 + 100 * Math.floor(Math.random() * 90);
      nodes.push(await startNode(store, { min: base, max: base + 49 }));
      nodes.push(await startNode(store, { min: base + 50, max: base + 99 }));
      haproxy = await startHaproxy({
        dir,
        host: BALANCER,
        backends: backends(),
        source: PROXY_SOURCE,
        proxyProtocol: 'v2',
      });
    });

    after(async function () {
      await haproxy?.stop();
      await Promise.all(nodes.splice(0).map((node) => node.handle.stop()));
      await store?.dispose();
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    });

    function target(user = 'alice'): FtpTarget {
      if (haproxy === undefined) throw new Error('haproxy is not running');
      return { host: haproxy.host, port: haproxy.port, user, password: `${user}-pw` };
    }

    /**
     * Runs `action` and returns the one node whose log shows `command` from `ip` meanwhile (the
     * session's log lines carry the client address the PROXY header gave).
     */
    async function nodeThatRan(command: RegExp, ip: string, action: () => Promise<void>): Promise<number> {
      const marks = nodes.map((node) => node.handle.mark());
      await action();
      const ran = (): Record<string, unknown>[][] =>
        nodes.map((node, i) =>
          logSince(node, marks[i] ?? 0).filter(
            (line) => typeof line.command === 'string' && command.test(line.command),
          ),
        );
      // A node's log comes through a pipe, which may deliver after the client has its reply.
      const deadline = Date.now() + 5000;
      while (ran().every((lines) => lines.length === 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const which = ran().flatMap((lines, i) => (lines.length > 0 ? [i] : []));
      expect(which, `${String(command)} ran on exactly one node`).to.have.length(1);
      for (const line of ran().flat()) expect(line.ip, String(command)).to.equal(ip);
      return which[0] ?? -1;
    }

    for (const [mode, extended] of MODES.flatMap((m) => [true, false].map((e) => [m, e] as const))) {
      const commands = mode === 'passive' ? (extended ? 'EPSV' : 'PASV') : extended ? 'EPRT' : 'PORT';
      it(`curl, ${commands}: uploaded through one node, listed and downloaded through the other`, async function () {
        const name = `curl-${commands}.txt`;
        const local = join(dir, name);
        await writeFile(local, `sent by curl in ${mode} mode\n`);
        // Passive, curl connects to the balancer's address whatever the reply says (EPSV has none,
        // and curl skips a 227's address since 7.74): the balancer forwards the port to the node.
        const options = { mode, extended, extraArgs: ['--interface', CURL_CLIENT] };
        const uploadNode = await nodeThatRan(new RegExp(`^STOR ${name}$`), CURL_CLIENT, async () => {
          ok(await curlUpload(target(), local, name, options));
        });
        const listing = join(dir, `${name}.listing`);
        const copy = join(dir, `${name}.copy`);
        const downloadNode = await nodeThatRan(new RegExp(`^RETR ${name}$`), CURL_CLIENT, async () => {
          ok(
            await curlBatch(
              target(),
              {
                uploads: [],
                downloads: [
                  { remotePath: '/', localFile: listing },
                  { remotePath: name, localFile: copy },
                ],
              },
              options,
            ),
          );
        });
        expect(downloadNode).to.not.equal(uploadNode);
        expect(await readFile(listing, 'utf8')).to.contain(name);
        expect(await readFile(copy, 'utf8')).to.equal(`sent by curl in ${mode} mode\n`);
      });
    }

    it('curl, FTPS with PROT P and EPSV: the TLS handshake follows the PROXY header on the data connection', async function () {
      if (certificate === undefined || haproxy === undefined) throw new Error('not set up');
      const name = 'curl-ftps.txt';
      const local = join(dir, name);
      await writeFile(local, 'sent by curl over FTPS\n');
      // The certificate names localhost: curl connects to the balancer by that name.
      const tlsTarget = { ...target(), host: 'localhost', tls: { caFile: certificate.certFile } };
      const connectTo = `localhost:${haproxy.port}:${BALANCER}:${haproxy.port}`;
      const options = {
        mode: 'passive' as const,
        extended: true,
        extraArgs: ['--interface', CURL_CLIENT, '--connect-to', connectTo],
      };
      await nodeThatRan(new RegExp(`^STOR ${name}$`), CURL_CLIENT, async () => {
        ok(await curlUpload(tlsTarget, local, name, options));
      });
      const copy = join(dir, `${name}.copy`);
      await nodeThatRan(new RegExp(`^RETR ${name}$`), CURL_CLIENT, async () => {
        ok(
          await curlBatch(
            tlsTarget,
            { uploads: [], downloads: [{ remotePath: name, localFile: copy }] },
            options,
          ),
        );
      });
      expect(await readFile(copy, 'utf8')).to.equal('sent by curl over FTPS\n');
    });

    for (const mode of MODES) {
      it(`the ftpkit client, ${mode}: uploaded through one node, listed and downloaded through the other`, async function () {
        const name = `ftpkit-${mode}.txt`;
        const local = join(dir, name);
        await writeFile(local, `sent by ftpkit in ${mode} mode\n`);
        // Passive, the client sends EPSV and connects to the balancer, its control peer. Active,
        // the node connects back from its own address, not the balancer's: the client takes it
        // with allowForeignActivePeer (see the case below for the default).
        const open = (): Promise<FtpClient> =>
          FtpClient.connect({
            host: target().host,
            port: target().port,
            user: 'alice',
            password: 'alice-pw',
            mode,
            allowForeignActivePeer: mode === 'active',
          });
        const uploadNode = await nodeThatRan(
          new RegExp(`^(STOR|APPE) ${name}$`),
          LIBRARY_CLIENT,
          async () => {
            const client = await open();
            try {
              await client.upload(local, name);
            } finally {
              await client.close();
            }
          },
        );
        const copy = join(dir, `${name}.copy`);
        let names: string[] = [];
        const downloadNode = await nodeThatRan(new RegExp(`^RETR ${name}$`), LIBRARY_CLIENT, async () => {
          const client = await open();
          try {
            names = (await client.list('/')).map((entry) => entry.name);
            await client.download(name, copy);
          } finally {
            await client.close();
          }
        });
        expect(downloadNode).to.not.equal(uploadNode);
        expect(names).to.include(name);
        expect(await readFile(copy, 'utf8')).to.equal(`sent by ftpkit in ${mode} mode\n`);
      });
    }

    it('the ftpkit client, active, by default: refuses the node’s connection and says whose it was and what permits it', async function () {
      const client = await FtpClient.connect({
        host: target().host,
        port: target().port,
        user: 'alice',
        password: 'alice-pw',
        mode: 'active',
        dataTimeoutMs: 1000,
      });
      try {
        const error = await client.list('/').then(
          () => undefined,
          (err: unknown) => err,
        );
        // The node then either gives up (426) or waits for nothing until the client times out.
        if (!(error instanceof ForeignDataPeerError))
          throw new Error(`expected a ForeignDataPeerError, got ${String(error)}`);
        expect(error.peer).to.equal(NODE_HOST);
        expect(error.serverAddress).to.equal(BALANCER);
        expect(error.message).to.match(
          /^Refused a data connection from 127\.0\.0\.1, not the server's address 127\.0\.0\.20 \(allowForeignActivePeer permits it\); then: /,
        );
        expect((await client.raw('NOOP')).code).to.equal(200);
      } finally {
        await client.close();
      }
    });

    it('refuses a PROXY header from an address not trusted, and a malformed one from the proxy', async function () {
      const node = nodes[0];
      if (node === undefined) throw new Error('no node');
      const mark = node.handle.mark();
      const closedAfter = async (from: string, header: string): Promise<string> => {
        const socket = connect({ host: '127.0.0.1', port: node.port, localAddress: from });
        let text = '';
        socket.on('error', () => undefined);
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        await once(socket, 'connect');
        socket.write(header);
        await new Promise((resolve) => socket.on('close', resolve));
        return text;
      };
      // Straight to a node, around the balancer, claiming to be someone else: told why, as a
      // balancer missing from --trusted-proxies would want its operator told.
      expect(await closedAfter('127.0.0.1', 'PROXY TCP4 203.0.113.1 127.0.0.1 5000 21\r\n')).to.match(
        /^220 [^\r\n]*\r\n421 PROXY header from an address not trusted to send one \(--proxy-protocol, --trusted-proxies\)\.\r\n$/,
      );
      expect(await closedAfter(PROXY_SOURCE, 'PROXY TCP4 203.0.113.1\r\n')).to.equal('');
      const seen = { stream: 'stdout', since: mark } as const;
      await node.handle.waitForLine(/"msg":"PROXY header from an address not trusted/, seen);
      await node.handle.waitForLine(/"msg":"PROXY header refused; connection closed"/, seen);
      expect(logSince(node, mark).some((line) => line.ip === '203.0.113.1')).to.equal(false);
    });

    it('takes PROXY v1 (send-proxy) from HAProxy as well', async function () {
      const v1 = await startHaproxy({
        dir,
        host: BALANCER,
        // The v2 balancer holds the passive ranges; this one tells the node who logs in.
        backends: backends(true),
        source: PROXY_SOURCE,
        proxyProtocol: 'v1',
      });
      try {
        const c = await RawControl.connect(v1.host, v1.port, { localAddress: CURL_CLIENT });
        await c.login('alice', 'alice-pw');
        expect((await c.command('STAT')).text).to.contain(`Connected from ${CURL_CLIENT}`);
        await c.close();
      } finally {
        await v1.stop();
      }
    });

    it('SIGHUP on each node re-reads the shared users file: a new user logs in on both', async function () {
      const login = async (): Promise<number> => {
        const c = await RawControl.connect(target().host, target().port);
        try {
          expect((await c.command('USER bob')).code).to.equal(331);
          return (await c.command('PASS bob-pw')).code;
        } finally {
          await c.close();
        }
      };
      await addUser('bob');
      expect([await login(), await login()]).to.deep.equal([530, 530]);
      const marks = nodes.map((node) => node.handle.mark());
      for (const node of nodes) process.kill(node.handle.pid, 'SIGHUP');
      await Promise.all(
        nodes.map((node, i) =>
          node.handle.waitForLine(/"msg":"users file reloaded"/, { stream: 'stdout', since: marks[i] ?? 0 }),
        ),
      );
      const after = nodes.map((node) => node.handle.mark());
      expect([await login(), await login()]).to.deep.equal([230, 230]);
      // Through each node: waitForLine rejects when one never logs the login.
      await Promise.all(
        nodes.map((node, i) =>
          node.handle.waitForLine(/"user":"bob".*"msg":"login"|"msg":"login".*"user":"bob"/, {
            stream: 'stdout',
            since: after[i] ?? 0,
          }),
        ),
      );
    });
  });
}
