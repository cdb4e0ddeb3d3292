import { createServer, type Server, type Socket } from 'node:net';
import {
  addressFamily,
  encodeEprt,
  encodeHostPort,
  isUnknownCommand,
  normalizeAddress,
  Reply,
  sameHost,
  type FtpReply,
} from '../../protocol/index.js';
import { ClientTimeoutError, ForeignDataPeerError, FtpReplyError } from '../errors.js';
import { abandon, keepErrorsHeard, type PendingData } from './channel.js';

export interface ActiveRequest {
  send(verb: string, arg: string): Promise<FtpReply>;
  /** The control socket's local address: the listener binds it, so the server can reach it. */
  localAddress: string;
  /** The control connection's peer: the only address allowed to connect, unless allowForeignPeer. */
  serverAddress: string;
  /** Take the first connection from any address (a server behind a balancer or NAT). */
  allowForeignPeer: boolean;
  /** Address to advertise instead of localAddress (NAT). */
  advertise?: string | undefined;
  /** Skip EPRT: the server refused it before. */
  skipEprt: boolean;
  timeoutMs: number;
}

export interface ActiveOutcome {
  data: PendingData;
  eprtRefused: boolean;
}

/**
 * Listens on a fresh port of the control connection's local address and tells the server where
 * (EPRT, or PORT when the server does not know EPRT). Exactly one connection is taken, and only
 * from the server's address unless allowForeignPeer: anyone else who finds the port is turned
 * away, so a third party cannot feed or read the transfer. The clock for the server to connect
 * starts now.
 */
export async function openActive(request: ActiveRequest): Promise<ActiveOutcome> {
  const local = normalizeAddress(request.localAddress);
  const advertise = normalizeAddress(request.advertise ?? local);
  const listener = createServer({ noDelay: false });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ host: local, port: 0, backlog: 4 }, () => {
      listener.removeListener('error', reject);
      resolve();
    });
  });
  const data = acceptOne(listener, request);
  try {
    const port = (listener.address() as { port: number }).port;
    let eprtRefused = request.skipEprt;
    if (!eprtRefused) {
      const arg = encodeEprt({ host: advertise, port });
      const reply = await request.send('EPRT', arg);
      if (reply.code === Reply.CommandOk) return { data, eprtRefused };
      // PORT can only say IPv4: over IPv6 a refused EPRT is final.
      if (!isUnknownCommand(reply.code) || addressFamily(advertise) === 6) {
        throw new FtpReplyError(`EPRT ${arg}`, reply);
      }
      eprtRefused = true;
    }
    const arg = encodeHostPort({ host: advertise, port });
    const reply = await request.send('PORT', arg);
    if (reply.code !== Reply.CommandOk) throw new FtpReplyError(`PORT ${arg}`, reply);
    return { data, eprtRefused };
  } catch (error) {
    data.close();
    throw error;
  }
}

function acceptOne(listener: Server, request: ActiveRequest): PendingData {
  const { timeoutMs, allowForeignPeer } = request;
  const serverAddress = normalizeAddress(request.serverAddress);
  /** The first connection turned away for its address: what a failed transfer was really about. */
  let foreignPeer: string | undefined;
  const explain = (error: Error): Error =>
    foreignPeer !== undefined && (error instanceof ClientTimeoutError || error instanceof FtpReplyError)
      ? new ForeignDataPeerError(foreignPeer, serverAddress, error)
      : error;
  let settle: ((socket: Socket | Error) => void) | undefined;
  const socket = new Promise<Socket>((resolve, reject) => {
    settle = (result): void => {
      settle = undefined;
      clearTimeout(timer);
      listener.close();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
  });
  // The caller may give up before awaiting; the rejection is then nobody's news.
  socket.catch(() => undefined);
  const timer = setTimeout(() => {
    settle?.(
      explain(new ClientTimeoutError(`The server did not connect back within ${timeoutMs} ms.`, 'data')),
    );
  }, timeoutMs);
  listener.on('connection', (incoming: Socket) => {
    keepErrorsHeard(incoming);
    if (settle === undefined) {
      incoming.destroy();
      return;
    }
    const from = normalizeAddress(incoming.remoteAddress ?? '');
    if (!allowForeignPeer && !sameHost(from, serverAddress)) {
      foreignPeer ??= from;
      incoming.destroy();
      return;
    }
    settle(incoming);
  });
  listener.on('error', (error) => settle?.(error));
  let accepted: Socket | undefined;
  void socket.then(
    (s) => (accepted = s),
    () => undefined,
  );
  return {
    socket,
    explain,
    close(): void {
      settle?.(new Error('Data connection closed before the server connected.'));
      if (accepted !== undefined) abandon(accepted);
      listener.close();
    },
  };
}
