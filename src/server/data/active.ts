import { connect, type Socket } from 'node:net';
import {
  DataConnectionError,
  SyntaxErrorInArgs,
  addressFamily,
  normalizeAddress,
  sameHost,
} from '../../protocol/index.js';
import type { DataChannel } from './channel.js';
import { routeSource } from './route-source.js';
import { socketAddress } from './socket-address.js';
import { describeSocketError } from './socket-error.js';

/** Below this, ports belong to system services: a PORT there is an FTP bounce attempt. */
const firstUnprivilegedPort = 1024;

/**
 * FTP bounce protection: the server only ever connects back to the client that sent PORT/EPRT,
 * and never to a system service port, so it cannot be used to reach third parties.
 */
export function checkActiveTarget(target: { host: string; port: number }, controlPeer: string): void {
  if (!sameHost(target.host, controlPeer)) {
    throw new SyntaxErrorInArgs(
      `Illegal PORT command: the data address must be your own (${normalizeAddress(controlPeer)}); ` +
        'behind NAT use passive mode.',
    );
  }
  if (!Number.isInteger(target.port) || target.port > 65535) {
    throw new SyntaxErrorInArgs('Illegal PORT command: the port must be a number from 1024 to 65535.');
  }
  if (target.port < firstUnprivilegedPort) {
    throw new SyntaxErrorInArgs('Illegal PORT command: ports below 1024 are not allowed.');
  }
}

export interface ActiveChannelOptions {
  host: string;
  port: number;
  /** The control socket's local address, so the data connection comes from the address the client used. */
  localAddress?: string;
  timeoutMs: number;
}

/** Connects to the client's PORT/EPRT address only when the transfer starts (open). */
export function createActiveChannel(options: ActiveChannelOptions): DataChannel {
  return new ActiveChannel(options);
}

type Pending = { resolve: (socket: Socket) => void; reject: (error: Error) => void };

class ActiveChannel implements DataChannel {
  readonly mode = 'active' as const;
  readonly #options: ActiveChannelOptions;
  /** The socket while it is ours to destroy: connecting, or connected but not yet handed out. */
  #socket: Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pending: Pending | undefined;
  #opened = false;
  #closed = false;

  constructor(options: ActiveChannelOptions) {
    this.#options = options;
  }

  open(): Promise<Socket> {
    if (this.#opened) {
      return Promise.reject(new DataConnectionError("Can't open data connection: it was already opened."));
    }
    this.#opened = true;
    if (this.#closed) {
      return Promise.reject(new DataConnectionError("Can't open data connection: the channel was closed."));
    }
    return new Promise<Socket>((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#timer = setTimeout(this.#onTimeout, this.#options.timeoutMs);
      const bind = this.#bindAddress();
      if (bind instanceof Promise) {
        bind.then(
          (local) => {
            if (!this.#closed) this.#connect(local);
          },
          () => {
            if (!this.#closed) this.#connect(undefined);
          },
        );
      } else {
        this.#connect(bind);
      }
    });
  }

  /**
   * The address to bind before connecting, if any. Binding makes the data connection come from the
   * address the client used, which a multi-homed server needs; but bind() with port 0 searches
   * the ports one by one past every TIME_WAIT entry (with tens of thousands of them after a busy
   * minute, connecting took most of the server's CPU in the soak bench), while a plain connect()
   * finds a free port at once. So we bind only when the route would pick another source address.
   */
  #bindAddress(): string | undefined | Promise<string | undefined> {
    const { host, localAddress } = this.#options;
    if (localAddress === undefined) return undefined;
    const target = socketAddress(host);
    const local = socketAddress(localAddress);
    // A local address of the other family cannot work (EINVAL).
    if (addressFamily(local) !== addressFamily(target)) return undefined;
    const decide = (source: string | undefined): string | undefined =>
      source !== undefined && sameHost(source, local) ? undefined : local;
    const source = routeSource(target);
    return source instanceof Promise ? source.then(decide) : decide(source);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail("Can't open data connection: the channel was closed.");
  }

  #connect(localAddress: string | undefined): void {
    const { host, port } = this.#options;
    const target = socketAddress(host);
    const family = addressFamily(target);
    const socket = connect({
      host: target,
      port,
      ...(family === 0 ? {} : { family }),
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    this.#socket = socket;
    socket.once('connect', this.#onConnect);
    socket.once('error', this.#onError);
  }

  readonly #onConnect = (): void => {
    const socket = this.#socket;
    const pending = this.#pending;
    if (socket === undefined || pending === undefined) return;
    socket.off('error', this.#onError);
    this.#socket = undefined;
    this.#settle();
    pending.resolve(socket);
  };

  readonly #onError = (error: Error): void => {
    this.#fail(`Can't open data connection: ${describeSocketError(error)}.`, error);
  };

  readonly #onTimeout = (): void => {
    this.#fail(`Can't open data connection: timed out after ${this.#options.timeoutMs} ms.`);
  };

  /** Single exit for every failure: releases the socket and timer, then rejects a waiting open(). */
  #fail(message: string, cause?: Error): void {
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      socket.off('connect', this.#onConnect);
      // Keep swallowing errors: destroy() may still report one after we stopped caring.
      socket.off('error', this.#onError);
      socket.on('error', ignore);
      socket.destroy();
    }
    const pending = this.#pending;
    this.#settle();
    pending?.reject(new DataConnectionError(message, cause === undefined ? undefined : { cause }));
  }

  #settle(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }
}

function ignore(): void {
  // A socket we destroyed has no one left to tell.
}
