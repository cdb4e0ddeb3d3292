import { connect, type OnReadOpts, type Socket } from 'node:net';
import {
  addressFamily,
  isUnknownCommand,
  normalizeAddress,
  parseEpsvReply,
  parsePasvReply,
  ProtocolViolationError,
  Reply,
  sameHost,
  type FtpReply,
} from '../../protocol/index.js';
import { ClientTimeoutError, ForeignPasvHostError, FtpReplyError } from '../errors.js';
import { abandon, keepErrorsHeard, type PendingData } from './channel.js';

export interface PassiveRequest {
  /** Sends a command, resolving with its final reply (any code). */
  send(verb: string): Promise<FtpReply>;
  /** The control connection's peer address. */
  serverAddress: string;
  /** Skip EPSV: the server refused it before. */
  skipEpsv: boolean;
  allowForeignPasvHost: boolean;
  timeoutMs: number;
  /**
   * Read the data into this buffer and callback instead of a stream (see FileReceiver). The
   * socket is handed over paused, so nothing is read before the receiver is ready.
   */
  onread?: OnReadOpts | undefined;
}

export interface PassiveOutcome {
  data: PendingData;
  /** Whether EPSV was refused, so the caller can go straight to PASV next time. */
  epsvRefused: boolean;
}

/**
 * EPSV (RFC 2428) first, PASV as the fallback on IPv4, then connects. The data connection always
 * goes to the control connection's peer, unless a PASV reply names another host and that is
 * allowed: otherwise a hostile or confused server could aim the client at a third machine.
 */
export async function openPassive(request: PassiveRequest): Promise<PassiveOutcome> {
  const server = normalizeAddress(request.serverAddress);
  let epsvRefused = request.skipEpsv;
  let host = server;
  let port: number | undefined;
  if (!epsvRefused) {
    const reply = await request.send('EPSV');
    if (reply.code === Reply.EnteringExtendedPassive) port = parseEpsvReply(reply.text);
    else if (isUnknownCommand(reply.code) && addressFamily(server) === 4) epsvRefused = true;
    else throw new FtpReplyError('EPSV', reply);
  }
  if (port === undefined) {
    if (addressFamily(server) === 6) throw new ProtocolViolationError('PASV cannot be used over IPv6.');
    const reply = await request.send('PASV');
    if (reply.code !== Reply.EnteringPassive) throw new FtpReplyError('PASV', reply);
    const target = parsePasvReply(reply.text);
    if (!sameHost(target.host, server) && !request.allowForeignPasvHost) {
      throw new ForeignPasvHostError(target.host, server);
    }
    host = target.host;
    port = target.port;
  }
  const socket = await connectData(host, port, request.timeoutMs, request.onread);
  let closed = false;
  return {
    epsvRefused,
    data: {
      socket: Promise.resolve(socket),
      close(): void {
        if (closed) return;
        closed = true;
        // Only failures and aborts get here: a finished transfer ends its socket itself.
        abandon(socket);
      },
    },
  };
}

function connectData(
  host: string,
  port: number,
  timeoutMs: number,
  onread: OnReadOpts | undefined,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = keepErrorsHeard(connect(onread === undefined ? { host, port } : { host, port, onread }));
    if (onread !== undefined) socket.pause();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new ClientTimeoutError(
          `Data connection to ${host} port ${port} not open within ${timeoutMs} ms.`,
          'data',
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
  });
}
