import { expect } from 'chai';
import type { Server, Socket } from 'node:net';
import { DataConnectionError } from '../../../src/protocol/errors.js';
import { createPassiveChannel, type PassiveChannel } from '../../../src/server/data/passive.js';
import { PassiveReuse } from '../../../src/server/data/passive-reuse.js';
import { canBind, closed, connectTo, readAll, releaseAll } from './net-helpers.js';

describe('server/data/passive-reuse', () => {
  const channels: PassiveChannel[] = [];
  const sockets: Socket[] = [];
  const servers: Server[] = [];

  /** Reuse over real reusable listeners on 127.0.0.1; `channels` records each one opened. */
  function reuse(options: { reusable?: boolean } = {}): PassiveReuse {
    return new PassiveReuse(async () => {
      const channel = await createPassiveChannel({
        bindAddress: '127.0.0.1',
        allowedPeer: '127.0.0.1',
        timeoutMs: 10_000,
        reusable: options.reusable ?? true,
      });
      channels.push(channel);
      return channel;
    });
  }

  afterEach(async () => {
    await releaseAll(channels, sockets, servers);
  });

  /** One transfer's worth: the peer connects, its bytes arrive. */
  async function serves(channel: PassiveChannel, text = 'hello'): Promise<void> {
    const opening = channel.open();
    const client = await connectTo('127.0.0.1', channel.port);
    sockets.push(client);
    const server = await opening;
    sockets.push(server);
    client.end(text);
    expect(await readAll(server)).to.equal(text);
  }

  /** A PASV's listener, after its transfer has run. */
  async function afterTransfer(ports: PassiveReuse, text?: string): Promise<PassiveChannel> {
    const channel = await ports.take();
    await serves(channel, text);
    return channel;
  }

  it('opens a listener when none was kept', async () => {
    const channel = await reuse().take();
    expect(channels).to.have.length(1);
    await serves(channel);
  });

  it('hands the kept listener to the next PASV at once, on the same port', async () => {
    const ports = reuse();
    const first = await afterTransfer(ports, 'one');
    expect(ports.keep(first)).to.equal(true);
    const second = ports.take();
    expect(second).to.equal(first);
    await serves(first, 'two');
    expect(channels).to.have.length(1);
  });

  it('refuses connections while the kept listener waits for its next PASV', async () => {
    const ports = reuse();
    const channel = await afterTransfer(ports);
    ports.keep(channel);
    await closed(await connectTo('127.0.0.1', channel.port));
    // The stray connection was not queued for the next transfer: that one gets its own.
    expect(ports.take()).to.equal(channel);
    await serves(channel, 'next');
  });

  it('opens a new listener when the kept one has failed meanwhile', async () => {
    const ports = reuse();
    const first = await afterTransfer(ports);
    ports.keep(first);
    // Broken the way a timeout would.
    first.close();
    const second = await ports.take();
    expect(second).to.not.equal(first);
    expect(channels).to.have.length(2);
    await serves(second);
  });

  it('keeps nothing when the listener cannot be reused, and closes it', async () => {
    const ports = reuse({ reusable: false });
    const channel = await afterTransfer(ports);
    expect(ports.keep(channel)).to.equal(false);
    expect(await canBind('127.0.0.1', channel.port)).to.equal(true);
    await ports.take();
    expect(channels).to.have.length(2);
  });

  it('clear() closes the kept listener', async () => {
    const ports = reuse();
    const channel = await afterTransfer(ports);
    ports.keep(channel);
    ports.clear();
    expect(await canBind('127.0.0.1', channel.port)).to.equal(true);
    await ports.take();
    expect(channels).to.have.length(2);
  });

  it('reports the error of the listener it fails to open', async () => {
    const ports = new PassiveReuse(() =>
      Promise.reject(new DataConnectionError('No passive port available.')),
    );
    try {
      await ports.take();
      expect.fail('expected take() to reject');
    } catch (error) {
      expect((error as Error).message).to.equal('No passive port available.');
    }
  });
});
