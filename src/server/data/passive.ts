import { createServer, type Server, type Socket } from 'node:net';
import { DataConnectionError, normalizeAddress, sameHost } from '../../protocol/index.js';
import { readProxyHeader } from '../proxy/reader.js';
import type { TrustedProxies } from '../proxy/trusted.js';
import type { DataChannel } from './channel.js';
import { listenOnFreePort } from './port-pool.js';
import { socketAddress } from './socket-address.js';
import { describeSocketError } from './socket-error.js';

/** One connection is expected; a few queued ones let us refuse strangers without stalling the peer. */
const listenBacklog = 4;
/**
 * Connections from a trusted proxy whose header is still being read, per listener. A balancer
 * sends its header as it connects, so these clear in a round trip; the bound keeps a host in the
 * trusted range that sends none from holding an unbounded number of sockets and timers.
 */
const maxAwaitingHeader = 4;

/** A refused connection that came through a trusted proxy. */
export interface ProxiedRefusal {
  /** The proxy's own address. */
  proxy: string;
  /** Set when the connection had no valid PROXY header (then the client is unknown). */
  reason?: string;
}

export interface PassiveChannel extends DataChannel {
  /** The port to announce in the 227/229 reply. */
  readonly port: number;
  /**
   * Marks a recycled listener's port as announced again: connections are refused until then, and
   * the wait for the client starts afresh. False when the listener has failed or timed out
   * meanwhile; the caller then opens another. A new listener is announced from the start.
   */
  claim(): boolean;
  /**
   * After a transfer that took this channel's connection: listens on for the session's next
   * PASV/EPSV, refusing connections until claim() and closing after the timeout if none comes.
   * False, with the listener closed, when it cannot serve again (not reusable, failed, never
   * handed out its connection).
   */
  recycle(): boolean;
  /**
   * Under PROT P: the connection is wrapped (its TLS handshake started) as soon as it is accepted,
   * or now if it already was. curl starts its handshake before it sends RETR/STOR and waits for
   * the answer. Applies until recycle().
   */
  wrapOnAccept(wrap: (socket: Socket) => Socket): void;
}

export interface PassiveChannelOptions {
  /** The control socket's local address: the one the client can reach us on. */
  bindAddress: string;
  portRange?: { min: number; max: number };
  /** The control connection's peer; connections from anywhere else are refused. */
  allowedPeer: string;
  timeoutMs: number;
  /**
   * Told about every refused connection, so the session can log a hijack attempt: the client's
   * address (the one a PROXY header named, when a trusted proxy sent one), and `proxy` for a
   * connection that came through one.
   */
  onRefused?: (remoteAddress: string, proxy?: ProxiedRefusal) => void;
  /**
   * Behind a load balancer (--proxy-protocol), the balancers whose data connections start with a
   * PROXY header, as their control connections do. From these the header is read first (within
   * timeoutMs) and its client checked against allowedPeer; no valid header, no connection.
   */
  trustedProxies?: TrustedProxies;
  /**
   * Keeps listening once the connection is handed out, so that recycle() can offer the same port
   * to the next PASV/EPSV (other connections are refused meanwhile). Otherwise the port is freed
   * as soon as the connection is accepted.
   */
  reusable?: boolean;
}

/**
 * Listens for the one data connection of a PASV/EPSV. Clients often connect right after the
 * 227/229 reply, before RETR/STOR reaches us, so the connection may be accepted before open().
 */
export async function createPassiveChannel(options: PassiveChannelOptions): Promise<PassiveChannel> {
  const server = createServer();
  const port = await listenOnFreePort(server, {
    host: socketAddress(options.bindAddress),
    range: options.portRange,
    backlog: listenBacklog,
  });
  return new PassiveListener(server, port, options);
}

/** True for a channel made here (PASV/EPSV), which can be recycled for the next one. */
export function isPassiveChannel(channel: DataChannel): channel is PassiveChannel {
  return channel instanceof PassiveListener;
}

type Pending = { resolve: (socket: Socket) => void; reject: (error: Error) => void };

type State =
  /** Listening, nobody connected yet. */
  | { kind: 'listening' }
  /** The peer connected; the socket waits for open(), buffering what the client sends. */
  | { kind: 'accepted'; socket: Socket }
  /** open() returned the socket: it belongs to the caller now. */
  | { kind: 'handedOut' }
  /** Finished without a socket to give; open() rejects with this. */
  | { kind: 'failed'; error: DataConnectionError };

class PassiveListener implements PassiveChannel {
  readonly mode = 'passive' as const;
  readonly port: number;
  readonly #server: Server;
  readonly #options: PassiveChannelOptions;
  #state: State = { kind: 'listening' };
  #timer: NodeJS.Timeout | undefined;
  #pending: Pending | undefined;
  #opened = false;
  /** Announced to the client: false between a recycle() and the next claim(). */
  #claimed = true;
  #wrap: ((socket: Socket) => Socket) | undefined;
  /** Connections from a trusted proxy whose header has not come yet. */
  readonly #awaitingHeader = new Set<Socket>();
  /** The port is given back for good: a header that comes now finds nobody to serve. */
  #released = false;

  constructor(server: Server, port: number, options: PassiveChannelOptions) {
    this.#server = server;
    this.port = port;
    this.#options = options;
    server.on('connection', this.#onConnection);
    server.on('error', this.#onServerError);
    // An abandoned PASV (client never connects, no transfer command) must not hold the port.
    this.#timer = setTimeout(this.#onTimeout, options.timeoutMs);
  }

  claim(): boolean {
    if (this.#state.kind !== 'listening') return false;
    this.#claimed = true;
    this.#restartTimer();
    return true;
  }

  open(): Socket | Promise<Socket> {
    if (this.#opened) {
      return Promise.reject(new DataConnectionError("Can't open data connection: it was already opened."));
    }
    this.#opened = true;
    const state = this.#state;
    switch (state.kind) {
      case 'failed':
        return Promise.reject(state.error);
      case 'handedOut':
        return Promise.reject(new DataConnectionError("Can't open data connection: it was already opened."));
      case 'accepted':
        return this.#openAccepted(state.socket);
      case 'listening':
        break;
    }
    return new Promise<Socket>((resolve, reject) => {
      this.#pending = { resolve, reject };
      // The wait for the connection gets the full timeout, however long the command took to come.
      this.#restartTimer();
    });
  }

  wrapOnAccept(wrap: (socket: Socket) => Socket): void {
    this.#wrap = wrap;
    const state = this.#state;
    if (state.kind === 'accepted' && !state.socket.destroyed)
      this.#state = { kind: 'accepted', socket: wrap(state.socket) };
  }

  recycle(): boolean {
    this.#wrap = undefined;
    if (this.#options.reusable !== true || this.#state.kind !== 'handedOut' || !this.#server.listening) {
      this.close();
      return false;
    }
    this.#state = { kind: 'listening' };
    this.#claimed = false;
    this.#opened = false;
    this.#restartTimer();
    return true;
  }

  close(): void {
    // The usual case, after every transfer: the socket is the caller's and nothing waits, so there
    // is no one to tell and no error (with its stack trace) to build.
    if (this.#state.kind === 'handedOut' || this.#state.kind === 'failed') {
      this.#release();
      return;
    }
    this.#fail(new DataConnectionError("Can't open data connection: the channel was closed."));
  }

  #openAccepted(socket: Socket): Socket | Promise<Socket> {
    if (socket.destroyed) {
      const reason =
        socket.errored === null
          ? 'the client closed the data connection before the transfer started'
          : describeSocketError(socket.errored);
      this.#fail(new DataConnectionError(`Can't open data connection: ${reason}.`));
      return Promise.reject(this.#failure());
    }
    socket.off('error', ignore);
    this.#state = { kind: 'handedOut' };
    return socket;
  }

  readonly #onConnection = (socket: Socket): void => {
    const remote = socket.remoteAddress === undefined ? 'unknown' : normalizeAddress(socket.remoteAddress);
    if (this.#options.trustedProxies?.has(remote) === true) this.#readHeader(socket, remote);
    else this.#admit(socket, remote);
  };

  /** A trusted proxy's connection: its header names the client, who is then checked as any other. */
  #readHeader(socket: Socket, proxy: string): void {
    socket.on('error', ignore);
    if (this.#awaitingHeader.size >= maxAwaitingHeader) {
      socket.destroy();
      this.#options.onRefused?.(proxy, { proxy, reason: 'too many connections waiting for their header' });
      return;
    }
    this.#awaitingHeader.add(socket);
    readProxyHeader(socket, this.#options.timeoutMs).then(
      (header) => {
        this.#awaitingHeader.delete(socket);
        if (this.#released || socket.destroyed) {
          socket.destroy();
          return;
        }
        // From here the socket is handled as one accepted directly, with that one's error handling.
        socket.off('error', ignore);
        // LOCAL or UNKNOWN speaks for the proxy itself, as on the control connection.
        this.#admit(socket, header.source?.address ?? proxy, proxy);
      },
      (err: unknown) => {
        this.#awaitingHeader.delete(socket);
        socket.destroy();
        if (!this.#released) this.#options.onRefused?.(proxy, { proxy, reason: (err as Error).message });
      },
    );
  }

  /** `remote`: the client, as the socket or a trusted proxy's header has it. */
  #admit(connection: Socket, remote: string, proxy?: string): void {
    let socket = connection;
    if (remote === 'unknown' || !sameHost(remote, this.#options.allowedPeer)) {
      // Someone else raced the client to the announced port: drop them, keep waiting for the peer.
      socket.on('error', ignore);
      socket.destroy();
      this.#options.onRefused?.(remote, proxy === undefined ? undefined : { proxy });
      return;
    }
    if (this.#state.kind !== 'listening' || !this.#claimed) {
      // One connection per announcement: a second one (the listener is closing already, or kept
      // for the next PASV) is not served. Before the port was announced, nobody can mean to use it.
      socket.on('error', ignore);
      socket.destroy();
      return;
    }
    // Without a 'data' listener the socket buffers what the client sends (and then applies TCP
    // backpressure), so an early upload loses nothing before open() hands the socket out.
    if (this.#options.reusable !== true) this.#server.close();
    if (this.#wrap !== undefined) {
      // Its errors surface on the wrapping socket.
      socket.on('error', ignore);
      socket = this.#wrap(socket);
    }
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#state = { kind: 'handedOut' };
      this.#settle();
      pending.resolve(socket);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Until open(), a reset only has to be remembered (socket.errored), not crash the process.
    socket.on('error', ignore);
    this.#state = { kind: 'accepted', socket };
  }

  readonly #onServerError = (error: Error): void => {
    this.#fail(
      new DataConnectionError(`Can't open data connection: ${describeSocketError(error)}.`, { cause: error }),
    );
  };

  readonly #onTimeout = (): void => {
    const seconds = Math.round(this.#options.timeoutMs / 100) / 10;
    this.#fail(
      new DataConnectionError(
        `Passive connection timed out: nothing connected within ${seconds} s; send PASV or EPSV again.`,
      ),
    );
  };

  /** Single exit: releases the port, any unclaimed socket and the timer; rejects a waiting open(). */
  #fail(error: DataConnectionError): void {
    const state = this.#state;
    if (state.kind === 'failed') return;
    if (state.kind === 'accepted') state.socket.destroy();
    // A handed-out socket is the caller's: the channel only gives up what it still holds.
    this.#state = state.kind === 'handedOut' ? state : { kind: 'failed', error };
    const pending = this.#pending;
    this.#release();
    pending?.reject(error);
  }

  /** Gives back the port and the timer; never touches a handed-out socket. */
  #release(): void {
    this.#released = true;
    if (this.#server.listening) this.#server.close();
    this.#server.off('connection', this.#onConnection);
    for (const socket of this.#awaitingHeader) socket.destroy();
    this.#awaitingHeader.clear();
    this.#settle();
  }

  #restartTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onTimeout, this.#options.timeoutMs);
  }

  #failure(): DataConnectionError {
    const state = this.#state;
    return state.kind === 'failed' ? state.error : new DataConnectionError();
  }

  #settle(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }
}

function ignore(): void {
  // The socket's fate is decided elsewhere (refused, or errored before open): nothing to report.
}
