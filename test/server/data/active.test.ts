import { expect } from 'chai';
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import { mock } from 'node:test';
import { FtpError } from '../../../src/protocol/errors.js';
import { Reply } from '../../../src/protocol/reply-codes.js';
import { checkActiveTarget, createActiveChannel } from '../../../src/server/data/active.js';
import type { DataChannel } from '../../../src/server/data/channel.js';
import { closeServer, ipv6Available, listen, portOf, readAll, rejection, releaseAll } from './net-helpers.js';

const timeoutMs = 10_000;

function refusal(fn: () => void): FtpError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(FtpError);
    expect((error as FtpError).replyCode).to.equal(Reply.SyntaxErrorInArgs);
    return error as FtpError;
  }
  throw new Error('expected the target to be refused');
}

describe('server/data/active', () => {
  describe('checkActiveTarget', () => {
    it('accepts the control peer on an unprivileged port', () => {
      expect(() => {
        checkActiveTarget({ host: '127.0.0.1', port: 1024 }, '127.0.0.1');
      }).to.not.throw();
      expect(() => {
        checkActiveTarget({ host: '2001:db8::7', port: 65535 }, '2001:db8::7');
      }).to.not.throw();
    });

    it('treats IPv4-mapped IPv6 and plain IPv4 as the same host', () => {
      expect(() => {
        checkActiveTarget({ host: '127.0.0.1', port: 40000 }, '::ffff:127.0.0.1');
      }).to.not.throw();
      expect(() => {
        checkActiveTarget({ host: '::ffff:192.0.2.7', port: 40000 }, '192.0.2.7');
      }).to.not.throw();
    });

    it('refuses another host (FTP bounce), naming the address it must use', () => {
      const error = refusal(() => {
        checkActiveTarget({ host: '198.51.100.9', port: 40000 }, '::ffff:192.0.2.7');
      });
      expect(error.message).to.equal(
        'Illegal PORT command: the data address must be your own (192.0.2.7); behind NAT use passive mode.',
      );
      refusal(() => {
        checkActiveTarget({ host: '127.0.0.2', port: 40000 }, '127.0.0.1');
      });
      refusal(() => {
        checkActiveTarget({ host: '::1', port: 40000 }, '127.0.0.1');
      });
    });

    it('refuses privileged ports', () => {
      for (const port of [0, 21, 25, 1023]) {
        const error = refusal(() => {
          checkActiveTarget({ host: '127.0.0.1', port }, '127.0.0.1');
        });
        expect(error.message).to.equal('Illegal PORT command: ports below 1024 are not allowed.');
      }
    });

    it('refuses ports that do not exist', () => {
      refusal(() => {
        checkActiveTarget({ host: '127.0.0.1', port: 65536 }, '127.0.0.1');
      });
      refusal(() => {
        checkActiveTarget({ host: '127.0.0.1', port: 2000.5 }, '127.0.0.1');
      });
    });
  });

  describe('createActiveChannel', () => {
    const servers: Server[] = [];
    const sockets: Socket[] = [];
    const channels: DataChannel[] = [];

    async function clientListener(host = '127.0.0.1'): Promise<Server> {
      const server = await listen(host);
      // Whatever reaches the listener is the test's to inspect; collect it so it can be closed.
      server.on('connection', (socket) => {
        socket.on('error', () => undefined);
        sockets.push(socket);
      });
      servers.push(server);
      return server;
    }

    function active(options: Parameters<typeof createActiveChannel>[0]): DataChannel {
      const channel = createActiveChannel(options);
      channels.push(channel);
      return channel;
    }

    afterEach(async () => {
      await releaseAll(channels, sockets, servers);
    });

    it('connects when opened, and data flows both ways', async () => {
      const listener = await clientListener();
      const channel = active({ host: '127.0.0.1', port: portOf(listener), timeoutMs });
      expect(channel.mode).to.equal('active');
      const accepted = once(listener, 'connection') as Promise<[Socket]>;
      const server = await channel.open();
      sockets.push(server);
      const [client] = await accepted;

      server.end('file contents');
      client.end('upload');
      const [toClient, toServer] = await Promise.all([readAll(client), readAll(server)]);
      expect(toClient).to.equal('file contents');
      expect(toServer).to.equal('upload');
    });

    it('connects from the given local address, normalising an IPv4-mapped one', async () => {
      const listener = await clientListener();
      for (const localAddress of ['127.0.0.2', '::ffff:127.0.0.3']) {
        const channel = active({ host: '127.0.0.1', port: portOf(listener), localAddress, timeoutMs });
        const accepted = once(listener, 'connection') as Promise<[Socket]>;
        sockets.push(await channel.open());
        const [client] = await accepted;
        expect(client.remoteAddress).to.equal(localAddress.replace('::ffff:', ''));
      }
    });

    it('connects to an IPv4-mapped target as plain IPv4', async () => {
      const listener = await clientListener();
      const channel = active({ host: '::ffff:127.0.0.1', port: portOf(listener), timeoutMs });
      const accepted = once(listener, 'connection') as Promise<[Socket]>;
      sockets.push(await channel.open());
      await accepted;
    });

    it('rejects with 425 "connection refused" when nothing listens', async () => {
      const listener = await listen('127.0.0.1');
      const port = portOf(listener);
      await closeServer(listener);
      const channel = active({ host: '127.0.0.1', port, timeoutMs });
      const error = await rejection(channel.open());
      expect(error.message).to.equal("Can't open data connection: connection refused.");
    });

    it('rejects with 425 when the connection does not complete in time', async () => {
      const listener = await clientListener();
      mock.timers.enable({ apis: ['setTimeout'] });
      let opening: Socket | Promise<Socket>;
      try {
        const channel = active({ host: '127.0.0.1', port: portOf(listener), timeoutMs: 5000 });
        opening = channel.open();
        // Synchronously, before the event loop can complete the connection.
        mock.timers.tick(5000);
      } finally {
        mock.timers.reset();
      }
      const error = await rejection(opening);
      expect(error.message).to.equal("Can't open data connection: timed out after 5000 ms.");
    });

    it('close() is idempotent and safe before open(), while connecting and after open()', async () => {
      const listener = await clientListener();
      const port = portOf(listener);

      const before = active({ host: '127.0.0.1', port, timeoutMs });
      before.close();
      before.close();
      await rejection(before.open());

      const during = active({ host: '127.0.0.1', port, timeoutMs });
      const opening = during.open();
      during.close();
      during.close();
      await rejection(opening);

      const after = active({ host: '127.0.0.1', port, timeoutMs });
      const accepted = once(listener, 'connection') as Promise<[Socket]>;
      const server = await after.open();
      sockets.push(server);
      const [client] = await accepted;
      after.close();
      after.close();
      client.end('still mine');
      expect(await readAll(server)).to.equal('still mine');
    });

    it('rejects a second open()', async () => {
      const listener = await clientListener();
      const channel = active({ host: '127.0.0.1', port: portOf(listener), timeoutMs });
      const opening = channel.open();
      await rejection(channel.open());
      sockets.push(await opening);
    });

    it('connects over IPv6 to ::1', async function () {
      if (!(await ipv6Available())) this.skip(); // ::1 cannot be bound on this machine
      const listener = await clientListener('::1');
      const channel = active({ host: '::1', port: portOf(listener), localAddress: '::1', timeoutMs });
      const accepted = once(listener, 'connection') as Promise<[Socket]>;
      const server = await channel.open();
      sockets.push(server);
      const [client] = await accepted;
      expect(client.remoteAddress).to.equal('::1');
      server.end('six');
      expect(await readAll(client)).to.equal('six');
    });
  });
});
