import { expect } from 'chai';
import type { Server, Socket } from 'node:net';
import { DataConnectionError } from '../../../src/protocol/errors.js';
import { createPassiveChannel, type PassiveChannel } from '../../../src/server/data/passive.js';
import { PassivePrefetch } from '../../../src/server/data/passive-prefetch.js';
import { canBind, connectTo, readAll, releaseAll } from './net-helpers.js';

describe('server/data/passive-prefetch', () => {
  const channels: PassiveChannel[] = [];
  const sockets: Socket[] = [];
  const servers: Server[] = [];
  let opened: boolean[];

  /** A prefetch over real listeners on 127.0.0.1 that records how each was opened. */
  function prefetch(timeoutMs = 10_000): PassivePrefetch {
    return new PassivePrefetch(async (ahead) => {
      opened.push(ahead);
      const channel = await createPassiveChannel({
        bindAddress: '127.0.0.1',
        allowedPeer: '127.0.0.1',
        timeoutMs,
        ahead,
      });
      channels.push(channel);
      return channel;
    });
  }

  beforeEach(() => {
    opened = [];
  });

  afterEach(async () => {
    await releaseAll(channels, sockets, servers);
  });

  async function serves(channel: PassiveChannel): Promise<void> {
    const opening = channel.open();
    const client = await connectTo('127.0.0.1', channel.port);
    sockets.push(client);
    const server = await opening;
    sockets.push(server);
    client.end('hello');
    expect(await readAll(server)).to.equal('hello');
  }

  it('opens a listener when none was prepared', async () => {
    const channel = await prefetch().take();
    expect(opened).to.deep.equal([false]);
    await serves(channel);
  });

  it('hands out the listener it opened ahead, once, claimed', async () => {
    const ports = prefetch();
    ports.prepare();
    ports.prepare();
    const channel = await ports.take();
    expect(opened).to.deep.equal([true]);
    expect(channel.port).to.equal(channels[0]?.port);
    await serves(channel);
    await ports.take();
    expect(opened).to.deep.equal([true, false]);
  });

  it('hands out a listener that is open already at once, not as a promise', async () => {
    const ports = prefetch();
    ports.prepare();
    expect(ports.take()).to.be.instanceOf(Promise);
    ports.prepare();
    await waitForChannels(2);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const channel = ports.take();
    expect(channel).not.to.be.instanceOf(Promise);
    await serves(channel as PassiveChannel);
  });

  async function waitForChannels(count: number): Promise<void> {
    while (channels.length < count) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  it('opens a new listener when the one opened ahead has failed meanwhile', async () => {
    const ports = prefetch();
    ports.prepare();
    const first = (await ports.take()).port;
    ports.prepare();
    // Let the prepared listener open, then break it the way a timeout would.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const ahead = channels.at(-1);
    expect(ahead?.port).to.not.equal(first);
    ahead?.close();
    const channel = await ports.take();
    expect(opened).to.deep.equal([true, true, false]);
    expect(channel).to.not.equal(ahead);
    await serves(channel);
  });

  it('clear() closes the listener opened ahead', async () => {
    const ports = prefetch();
    ports.prepare();
    ports.clear();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const ahead = channels[0];
    expect(ahead).to.not.equal(undefined);
    expect(await canBind('127.0.0.1', ahead?.port ?? 0)).to.equal(true);
    await ports.take();
    expect(opened).to.deep.equal([true, false]);
  });

  it('reports the error of the listener it opens when opening ahead failed too', async () => {
    let calls = 0;
    const ports = new PassivePrefetch(() => {
      calls++;
      return Promise.reject(new DataConnectionError(`No passive port available (${calls}).`));
    });
    ports.prepare();
    try {
      await ports.take();
      expect.fail('expected take() to reject');
    } catch (error) {
      expect((error as Error).message).to.equal('No passive port available (2).');
    }
  });
});
