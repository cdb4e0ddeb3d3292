import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mock } from 'node:test';
import { Duplex } from 'node:stream';
import { connect as connectTls, createSecureContext, TLSSocket } from 'node:tls';
import {
  createPassiveChannel,
  type PassiveChannel,
  type ProxiedRefusal,
} from '../../../src/server/data/passive.js';
import { TrustedProxies } from '../../../src/server/proxy/trusted.js';
import { wrapDataSocket } from '../../../src/server/tls/data-socket.js';
import { makeCertificate } from '../../helpers/tls-cert.js';
import {
  canBind,
  closed,
  connectTo,
  findFreeRange,
  ipv6Available,
  listen,
  listenerGone,
  readAll,
  rejection,
  releaseAll,
} from './net-helpers.js';

const timeoutMs = 10_000;

describe('server/data/passive', () => {
  const channels: PassiveChannel[] = [];
  const sockets: Socket[] = [];
  const servers: Server[] = [];

  async function passive(
    options: Partial<Parameters<typeof createPassiveChannel>[0]> = {},
  ): Promise<PassiveChannel> {
    const channel = await createPassiveChannel({
      bindAddress: '127.0.0.1',
      allowedPeer: '127.0.0.1',
      timeoutMs,
      ...options,
    });
    channels.push(channel);
    return channel;
  }

  function track(socket: Socket): Socket {
    sockets.push(socket);
    return socket;
  }

  /** open() while the peer connects: both ends of the data connection. */
  async function connected(channel: PassiveChannel): Promise<{ client: Socket; server: Socket }> {
    const opening = channel.open();
    const client = track(await connectTo('127.0.0.1', channel.port));
    return { client, server: track(await opening) };
  }

  afterEach(async () => {
    await releaseAll(channels, sockets, servers);
  });

  it('hands out the connection when open() waits for it, and data flows both ways', async () => {
    const channel = await passive();
    expect(channel.mode).to.equal('passive');
    const { client, server } = await connected(channel);

    server.end('listing\r\n');
    client.end('upload');
    const [toClient, toServer] = await Promise.all([readAll(client), readAll(server)]);
    expect(toClient).to.equal('listing\r\n');
    expect(toServer).to.equal('upload');
  });

  it('keeps a connection made before open(), with the bytes the client sent early', async () => {
    const channel = await passive();
    const client = track(await connectTo('127.0.0.1', channel.port));
    const payload = 'sent before RETR/STOR arrived\n'.repeat(2000);
    client.end(payload);
    // The listener closes when it accepts the client: once it is gone, the client was accepted.
    await listenerGone('127.0.0.1', channel.port);

    const server = track(await channel.open());
    expect(await readAll(server)).to.equal(payload);
  });

  it('frees the port once the connection is accepted', async () => {
    const channel = await passive();
    await connected(channel);
    expect(await canBind('127.0.0.1', channel.port)).to.equal(true);
  });

  it('refuses a connection from another address, then accepts the real peer', async () => {
    const refused: string[] = [];
    let onRefused!: () => void;
    const refusal = new Promise<void>((resolve) => (onRefused = resolve));
    const channel = await passive({
      onRefused: (address) => {
        refused.push(address);
        onRefused();
      },
    });
    const opening = channel.open();

    const intruder = track(await connectTo('127.0.0.1', channel.port, '127.0.0.2'));
    await refusal;
    await closed(intruder);
    expect(refused).to.deep.equal(['127.0.0.2']);

    const client = track(await connectTo('127.0.0.1', channel.port, '127.0.0.1'));
    const server = track(await opening);
    expect(server.remoteAddress).to.equal('127.0.0.1');
    client.end('ok');
    expect(await readAll(server)).to.equal('ok');
  });

  it('rejects open() with 425 when nobody connects in time, and releases the port', async () => {
    const channel = await passive({ timeoutMs: 50 });
    const error = await rejection(channel.open());
    expect(error.message).to.match(/^Passive connection timed out/);
    expect(await canBind('127.0.0.1', channel.port)).to.equal(true);
  });

  it('closes an abandoned listener on its own after the timeout; a later open() says so', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    let channel: PassiveChannel;
    try {
      channel = await passive({ timeoutMs: 30_000 });
      mock.timers.tick(29_999);
      expect(await canBind('127.0.0.1', channel.port)).to.equal(false);
      mock.timers.tick(1);
    } finally {
      mock.timers.reset();
    }
    expect(await canBind('127.0.0.1', channel.port)).to.equal(true);
    const error = await rejection(channel.open());
    expect(error.message).to.match(/^Passive connection timed out/);
  });

  it('gives open() a full timeout of its own, counted from the call', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const channel = await passive({ timeoutMs: 1000 });
      mock.timers.tick(900);
      const opening = channel.open();
      mock.timers.tick(900);
      const client = track(await connectTo('127.0.0.1', channel.port));
      const server = track(await opening);
      client.end('late but in time');
      expect(await readAll(server)).to.equal('late but in time');
    } finally {
      mock.timers.reset();
    }
  });

  it('recycled after a transfer, refuses connections until claimed, then serves the peer again', async () => {
    const channel = await passive({ reusable: true });
    const first = await connected(channel);
    // The port stays while the first transfer runs, but serves nobody else.
    expect(await canBind('127.0.0.1', channel.port)).to.equal(false);
    await closed(track(await connectTo('127.0.0.1', channel.port)));
    first.client.end('first');
    expect(await readAll(first.server)).to.equal('first');
    expect(channel.recycle()).to.equal(true);
    // Not announced again yet: whoever connects is dropped, and the listener stays.
    await closed(track(await connectTo('127.0.0.1', channel.port)));
    expect(await canBind('127.0.0.1', channel.port)).to.equal(false);
    expect(channel.claim()).to.equal(true);
    const second = await connected(channel);
    second.client.end('second');
    expect(await readAll(second.server)).to.equal('second');
  });

  it('recycle() closes a listener that is not reusable or never handed out its connection', async () => {
    const plain = await passive();
    await connected(plain);
    expect(plain.recycle()).to.equal(false);
    const unused = await passive({ reusable: true });
    expect(unused.recycle()).to.equal(false);
    expect(await canBind('127.0.0.1', unused.port)).to.equal(true);
    await rejection(unused.open());
  });

  it('claim() restarts the wait, and says false once a recycled listener has timed out', async () => {
    const kept = await passive({ reusable: true, timeoutMs: 1000 });
    const dropped = await passive({ reusable: true, timeoutMs: 1000 });
    await connected(kept);
    await connected(dropped);
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      expect(kept.recycle()).to.equal(true);
      expect(dropped.recycle()).to.equal(true);
      mock.timers.tick(900);
      expect(kept.claim()).to.equal(true);
      mock.timers.tick(900);
      expect(await canBind('127.0.0.1', kept.port)).to.equal(false);
      expect(dropped.claim()).to.equal(false);
      expect(await canBind('127.0.0.1', dropped.port)).to.equal(true);
      mock.timers.tick(100);
      expect(await canBind('127.0.0.1', kept.port)).to.equal(true);
    } finally {
      mock.timers.reset();
    }
  });

  it('close() while open() waits (ABOR) rejects it and releases the port', async () => {
    const channel = await passive();
    const opening = channel.open();
    channel.close();
    const error = await rejection(opening);
    expect(error.message).to.equal("Can't open data connection: the channel was closed.");
    expect(await canBind('127.0.0.1', channel.port)).to.equal(true);
  });

  it('close() is idempotent, releases the port and makes open() reject', async () => {
    const channel = await passive();
    channel.close();
    channel.close();
    expect(await canBind('127.0.0.1', channel.port)).to.equal(true);
    await rejection(channel.open());
  });

  it('close() rejects a waiting open()', async () => {
    const channel = await passive();
    const opening = channel.open();
    channel.close();
    await rejection(opening);
  });

  it('close() destroys a connection that was accepted but never handed out', async () => {
    const channel = await passive();
    const client = track(await connectTo('127.0.0.1', channel.port));
    await listenerGone('127.0.0.1', channel.port);
    channel.close();
    channel.close();
    await closed(client);
    await rejection(channel.open());
  });

  it('close() after open() leaves the handed-out socket to its owner', async () => {
    const channel = await passive();
    const { client, server } = await connected(channel);
    channel.close();
    client.end('still flowing');
    expect(await readAll(server)).to.equal('still flowing');
  });

  it('rejects a second open()', async () => {
    const channel = await passive();
    const opening = channel.open();
    await rejection(channel.open());
    track(await connectTo('127.0.0.1', channel.port));
    track(await opening);
  });

  it('listens on a port of the configured range', async () => {
    const range = await findFreeRange('127.0.0.1', 3);
    const first = await passive({ portRange: range });
    const second = await passive({ portRange: range });
    for (const channel of [first, second]) {
      expect(channel.port).to.be.within(range.min, range.max);
    }
    expect(first.port).to.not.equal(second.port);
  });

  it('fails with a clear 425 when every port of the range is taken', async () => {
    const range = await findFreeRange('127.0.0.1', 2);
    servers.push(await listen('127.0.0.1', range.min), await listen('127.0.0.1', range.max));
    const error = await rejection(
      createPassiveChannel({
        bindAddress: '127.0.0.1',
        allowedPeer: '127.0.0.1',
        portRange: range,
        timeoutMs,
      }),
    );
    expect(error.message).to.equal('No passive port available.');
  });

  it('accepts IPv4-mapped addresses as the same host as plain IPv4', async () => {
    const channel = await passive({ bindAddress: '::ffff:127.0.0.1', allowedPeer: '::ffff:127.0.0.1' });
    const { client, server } = await connected(channel);
    client.end('mapped');
    expect(await readAll(server)).to.equal('mapped');
  });

  it('serves many concurrent channels, each to its own client', async () => {
    const count = 100;
    const all = await Promise.all(Array.from({ length: count }, () => passive()));
    expect(new Set(all.map((channel) => channel.port)).size).to.equal(count);
    const received = await Promise.all(
      all.map(async (channel, index) => {
        const opening = channel.open();
        const client = track(await connectTo('127.0.0.1', channel.port));
        client.end(`transfer ${index}`);
        return readAll(track(await opening));
      }),
    );
    expect(received).to.deep.equal(all.map((_, index) => `transfer ${index}`));
  });

  // Behind a load balancer every data port is reached through it: the balancer (127.0.0.9 here)
  // connects with a PROXY header naming the client (127.0.0.5), which is the peer to check.
  describe('behind a load balancer that sends PROXY headers', () => {
    const PROXY = '127.0.0.9';
    const CLIENT = '127.0.0.5';

    /** A PROXY v2 header for a TCP4 connection from `client`. */
    function v2(client: string): Buffer {
      const header = Buffer.alloc(28);
      Buffer.from('0d0a0d0a000d0a515549540a', 'hex').copy(header);
      header[12] = 0x21;
      header[13] = 0x11;
      header.writeUInt16BE(12, 14);
      client.split('.').forEach((part, i) => (header[16 + i] = Number(part)));
      [127, 0, 0, 1].forEach((part, i) => (header[20 + i] = part));
      header.writeUInt16BE(40000, 24);
      header.writeUInt16BE(50000, 26);
      return header;
    }

    interface Refusal {
      remote: string;
      via: ProxiedRefusal | undefined;
    }

    /** A channel whose control peer is CLIENT, trusting PROXY, with its refusals as they come. */
    async function proxied(options: Partial<Parameters<typeof createPassiveChannel>[0]> = {}): Promise<{
      channel: PassiveChannel;
      refusals: Refusal[];
      nextRefusal: () => Promise<Refusal>;
    }> {
      const refusals: Refusal[] = [];
      let waiting: ((refusal: Refusal) => void) | undefined;
      const channel = await passive({
        allowedPeer: CLIENT,
        trustedProxies: new TrustedProxies([PROXY]),
        onRefused: (remote, via) => {
          const refusal = { remote, via };
          refusals.push(refusal);
          waiting?.(refusal);
          waiting = undefined;
        },
        ...options,
      });
      const nextRefusal = (): Promise<Refusal> => new Promise((resolve) => (waiting = resolve));
      return { channel, refusals, nextRefusal };
    }

    it("takes the proxy's connection for the client its header names, without the header's bytes", async () => {
      const { channel, refusals } = await proxied();
      const opening = channel.open();
      const balancer = track(await connectTo('127.0.0.1', channel.port, PROXY));
      // The header and the client's first bytes in one segment, as a balancer may send them.
      balancer.write(Buffer.concat([v2(CLIENT), Buffer.from('upload bytes')]));
      balancer.end(' and the rest');
      const server = track(await opening);
      expect(await readAll(server)).to.equal('upload bytes and the rest');
      expect(refusals).to.deep.equal([]);
    });

    it('reads a header that comes in pieces', async () => {
      const { channel } = await proxied();
      const opening = channel.open();
      const balancer = track(await connectTo('127.0.0.1', channel.port, PROXY));
      const header = v2(CLIENT);
      for (const piece of [header.subarray(0, 5), header.subarray(5, 14), header.subarray(14)]) {
        balancer.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const server = track(await opening);
      server.end('listing');
      expect(await readAll(balancer)).to.equal('listing');
    });

    it('refuses a connection from the proxy without a valid header, or for another client, then takes the real one', async () => {
      const { channel, refusals, nextRefusal } = await proxied();
      const opening = channel.open();

      let refused = nextRefusal();
      const bare = track(await connectTo('127.0.0.1', channel.port, PROXY));
      bare.write('STOR bytes with no header');
      await refused;
      await closed(bare);

      refused = nextRefusal();
      const other = track(await connectTo('127.0.0.1', channel.port, PROXY));
      other.write(v2('127.0.0.7'));
      await refused;
      await closed(other);

      refused = nextRefusal();
      const gone = track(await connectTo('127.0.0.1', channel.port, PROXY));
      gone.end(v2(CLIENT).subarray(0, 10));
      await refused;

      expect(refusals).to.deep.equal([
        { remote: PROXY, via: { proxy: PROXY, reason: 'not a PROXY protocol header' } },
        { remote: '127.0.0.7', via: { proxy: PROXY } },
        { remote: PROXY, via: { proxy: PROXY, reason: 'connection closed before its PROXY header' } },
      ]);
      const balancer = track(await connectTo('127.0.0.1', channel.port, PROXY));
      balancer.end(Buffer.concat([v2(CLIENT), Buffer.from('ok')]));
      expect(await readAll(track(await opening))).to.equal('ok');
    });

    it('treats addresses not trusted as before: the client itself is taken, a stranger refused', async () => {
      const { channel, refusals, nextRefusal } = await proxied();
      const opening = channel.open();
      const refused = nextRefusal();
      const stranger = track(await connectTo('127.0.0.1', channel.port, '127.0.0.7'));
      // A header from an address not trusted is not read: it stays a stranger.
      stranger.write(v2(CLIENT));
      await refused;
      await closed(stranger);
      expect(refusals).to.deep.equal([{ remote: '127.0.0.7', via: undefined }]);

      const client = track(await connectTo('127.0.0.1', channel.port, CLIENT));
      client.end('direct');
      const server = track(await opening);
      expect(server.remoteAddress).to.equal(CLIENT);
      expect(await readAll(server)).to.equal('direct');
    });

    it('gives up a connection still waiting for its header when the channel closes', async () => {
      const { channel, refusals } = await proxied();
      const balancer = track(await connectTo('127.0.0.1', channel.port, PROXY));
      balancer.write(v2(CLIENT).subarray(0, 8));
      // Still listening (not reusable: it would have closed on accepting): the header is awaited.
      await new Promise((resolve) => setTimeout(resolve, 50));
      channel.close();
      await closed(balancer);
      expect(refusals).to.deep.equal([]);
    });

    it('under PROT P, starts the TLS handshake after the header, with the ClientHello in the same segment', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ftpkit-passive-proxy-'));
      try {
        const certificate = await makeCertificate(dir);
        const context = createSecureContext({ cert: certificate.cert, key: certificate.key });
        const { channel } = await proxied();
        channel.wrapOnAccept((socket) => wrapDataSocket(socket, context));
        const opening = channel.open();
        const balancer = track(await connectTo('127.0.0.1', channel.port, PROXY));
        // The balancer prefixes the client's first bytes (its ClientHello) with the header.
        let header: Buffer | undefined = v2(CLIENT);
        const transport = new Duplex({
          write(chunk: Buffer, _encoding, callback) {
            balancer.write(header === undefined ? chunk : Buffer.concat([header, chunk]), callback);
            header = undefined;
          },
          final(callback) {
            balancer.end(callback);
          },
          read() {},
        });
        balancer.on('data', (chunk: Buffer) => transport.push(chunk));
        balancer.on('end', () => transport.push(null));
        const secure = connectTls({ socket: transport, rejectUnauthorized: false });
        await once(secure, 'secureConnect');
        const server = track(await opening);
        expect(server).to.be.instanceOf(TLSSocket);
        secure.end('secret upload');
        expect(await readAll(server)).to.equal('secret upload');
        secure.destroy();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('over IPv6', function () {
    before(async function () {
      if (!(await ipv6Available())) this.skip(); // ::1 cannot be bound on this machine
    });

    it('accepts the peer on ::1', async () => {
      const channel = await passive({ bindAddress: '::1', allowedPeer: '::1' });
      const opening = channel.open();
      const client = track(await connectTo('::1', channel.port));
      const server = track(await opening);
      expect(server.remoteAddress).to.equal('::1');
      client.end('six');
      expect(await readAll(server)).to.equal('six');
    });

    it('refuses an IPv4 client on a dual-stack listener when the control peer is ::1', async () => {
      const refused: string[] = [];
      let onRefused!: () => void;
      const refusal = new Promise<void>((resolve) => (onRefused = resolve));
      const channel = await passive({
        bindAddress: '::',
        allowedPeer: '::1',
        onRefused: (address) => {
          refused.push(address);
          onRefused();
        },
      });
      const opening = channel.open();
      track(await connectTo('127.0.0.1', channel.port));
      await refusal;
      expect(refused).to.deep.equal(['127.0.0.1']);

      const client = track(await connectTo('::1', channel.port));
      const server = track(await opening);
      client.end('v6 only');
      expect(await readAll(server)).to.equal('v6 only');
    });
  });
});
