import { expect } from 'chai';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { abandon } from '../../src/client/data/channel.js';
import { closeServer, closed, connectTo, listen, portOf } from '../server/data/net-helpers.js';

describe('client/data/channel abandon()', () => {
  async function pair(): Promise<{ ours: Socket; theirs: Socket; done: () => Promise<void> }> {
    const server = await listen('127.0.0.1');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const ours = await connectTo('127.0.0.1', portOf(server));
    const [theirs] = await accepted;
    return {
      ours,
      theirs,
      done: async () => {
        theirs.destroy();
        await closeServer(server);
      },
    };
  }

  it('resets an open connection, so the peer sees no clean end of file', async () => {
    const { ours, theirs, done } = await pair();
    const failed = once(theirs, 'error') as Promise<[NodeJS.ErrnoException]>;
    theirs.resume();
    abandon(ours);
    const [error] = await failed;
    expect(error.code).to.equal('ECONNRESET');
    expect(ours.destroyed).to.equal(true);
    await done();
  });

  it('closes without an error a connection the peer closed first (no reset while shutting down)', async () => {
    const { ours, theirs, done } = await pair();
    const errors: Error[] = [];
    ours.on('error', (error) => errors.push(error));
    ours.resume();
    theirs.end();
    // allowHalfOpen is off: the end makes our side end too, and a reset would then fail.
    await once(ours, 'end');
    abandon(ours);
    await closed(ours);
    expect(errors).to.deep.equal([]);
    abandon(ours);
    await done();
  });
});
