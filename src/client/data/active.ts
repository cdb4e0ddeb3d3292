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
import { ClientTimeoutError, FtpReplyError } from '../errors.js';
import { abandon, keepErrorsHeard, type PendingData } from './channel.js';

export interface ActiveRequest {
  send(verb: string, arg: string): Promise<FtpReply>;
  /** The control socket's local address: the listener binds it, so the server can reach it. */
  localAddress: string;
  /** The control connection's peer: the only address allowed to connect. */
  serverAddress: string;
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
 * from the server's address: anyone else who finds the port is turned away, so a third party
 * cannot feed or read the transfer. The clock for the server to connect starts now.
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
  const data = acceptOne(listener, request.serverAddress, request.timeoutMs);
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

function acceptOne(listener: Server, serverAddress: string, timeoutMs: number): PendingData {
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
    settle?.(new ClientTimeoutError(`The server did not connect back within ${timeoutMs} ms.`, 'data'));
  }, timeoutMs);
  listener.on('connection', (incoming: Socket) => {
    keepErrorsHeard(incoming);
    if (settle === undefined || !sameHost(incoming.remoteAddress ?? '', serverAddress)) {
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
    close(): void {
      settle?.(new Error('Data connection closed before the server connected.'));
      if (accepted !== undefined) abandon(accepted);
      listener.close();
    },
  };
}
