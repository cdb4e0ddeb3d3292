import { expect } from 'chai';
import type { Server, Socket } from 'node:net';
import { mock } from 'node:test';
import { createPassiveChannel, type PassiveChannel } from '../../../src/server/data/passive.js';
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
