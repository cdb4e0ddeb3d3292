import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { expect } from 'chai';
import { DataConnectionError } from '../../../src/protocol/errors.js';
import { Reply } from '../../../src/protocol/reply-codes.js';

/** Connects to host:port, optionally from localAddress (any 127.x.y.z acts as another host). */
export async function connectTo(host: string, port: number, localAddress?: string): Promise<Socket> {
  const socket = connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) });
  try {
    await once(socket, 'connect');
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return socket;
}

/** Reads a socket to its end and returns everything it carried. */
export async function readAll(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves when the socket has closed, however it closed (reset, refused or clean). */
export async function closed(socket: Socket): Promise<void> {
  socket.on('error', () => undefined);
  if (socket.closed) return;
  // Not events.once: it would reject on the 'error' that precedes the close we are waiting for.
  await new Promise((resolve) => socket.once('close', resolve));
}

export async function listen(host: string, port = 0): Promise<Server> {
  const server = createServer();
  server.listen({ host, port });
  await once(server, 'listening');
  return server;
}

export function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  return address.port;
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  server.close();
  await once(server, 'close');
}

/** True when a listener can bind host:port right now (the port is free). */
export async function canBind(host: string, port: number): Promise<boolean> {
  const server = createServer();
  server.listen({ host, port });
  try {
    await once(server, 'listening');
  } catch {
    return false;
  }
  await closeServer(server);
  return true;
}

/** Consecutive ports that were all free a moment ago, found by asking the OS for a first one. */
export async function findFreeRange(host: string, size: number): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await listen(host);
    const min = portOf(first);
    const held = [first];
    let complete = min + size - 1 <= 65535;
    for (let port = min + 1; complete && port < min + size; port++) {
      try {
        held.push(await listen(host, port));
      } catch {
        complete = false;
      }
    }
    await Promise.all(held.map(closeServer));
    if (complete) return { min, max: min + size - 1 };
  }
  throw new Error(`no ${size} consecutive free ports on ${host}`);
}

/**
 * Resolves once the listener on host:port has stopped accepting. A probe queued behind an earlier
 * connection is reset when the listener closes after that connection, or refused if it already
 * has: either way its close is an event to wait on, with no sleeping.
 */
export async function listenerGone(host: string, port: number): Promise<void> {
  const probe = connect({ host, port });
  await closed(probe);
}

/** Whether this machine can bind a listener on ::1 (some containers have IPv6 disabled). */
export async function ipv6Available(): Promise<boolean> {
  return canBind('::1', 0);
}

/** Closes what a test opened, in an order that leaves nothing half-open: channels, sockets, servers. */
export async function releaseAll(
  channels: { close(): void }[],
  sockets: Socket[],
  servers: Server[],
): Promise<void> {
  for (const channel of channels.splice(0)) channel.close();
  await Promise.all(
    sockets.splice(0).map((socket) => {
      socket.destroy();
      return closed(socket);
    }),
  );
  await Promise.all(servers.splice(0).map(closeServer));
}

/** A channel's open() may answer at once; its failures always come as a 425 rejection. */
export async function rejection(opening: unknown): Promise<DataConnectionError> {
  try {
    await opening;
  } catch (error) {
    expect(error).to.be.instanceOf(DataConnectionError);
    const dataError = error as DataConnectionError;
    expect(dataError.replyCode).to.equal(Reply.CantOpenData);
    return dataError;
  }
  throw new Error('expected the promise to reject');
}
