import type { Socket } from 'node:net';

/**
 * A data connection being set up for one transfer. Passive and active mode differ only in who
 * connects; the transfer code sees this and a Socket.
 */
export interface PendingData {
  /**
   * The connected socket: at once in passive mode, once the server has connected in active mode.
   * Rejects after the data timeout, or when closed first.
   */
  readonly socket: Promise<Socket>;
  /** Gives up on the connection (closes the listener or the socket); safe to call twice. */
  close(): void;
  /**
   * What a transfer that failed before its data connection came should say: the client may know
   * better than the server's reply (active mode: it turned away a connection from another
   * address). Returns `error` itself when it knows nothing more.
   */
  explain?(error: Error): Error;
}

/**
 * Keeps an error listener on a data socket for the rest of its life. A data socket can fail at any
 * moment (a reset before the 150, after the data has ended, while nobody reads it), and an error
 * no one listens for would crash the process. Whoever moves the data still learns of the failure
 * through its own stream events; this listener only makes sure no error goes unheard.
 */
export function keepErrorsHeard(socket: Socket): Socket {
  socket.on('error', ignoreError);
  return socket;
}

function ignoreError(): void {
  // See keepErrorsHeard.
}

/** A TLS data socket's TCP connection, which only a plain socket can reset. */
const tcpUnder = new WeakMap<Socket, Socket>();

/**
 * TLS over a connected data socket (FTPS, PROT P): `secure` runs the handshake on it. The TCP
 * socket stays what abandon() resets, and what closing the pending connection closes.
 */
export async function overTls(tcp: Socket, secure: (tcp: Socket) => Promise<Socket>): Promise<Socket> {
  const tls = keepErrorsHeard(await secure(tcp));
  tcpUnder.set(tls, tcp);
  return tls;
}

/**
 * Gives up on a data connection with a reset, which tells the server this was no clean end of
 * file (some servers answer an aborted RETR only after one). A socket already shutting down its
 * sending side (it ended, or the server closed first) cannot be reset, and is closed instead. A
 * TLS socket is reset through its TCP connection: an end without close_notify is what a server
 * may take for a whole file.
 */
export function abandon(socket: Socket): void {
  if (socket.destroyed) return;
  const tcp = tcpUnder.get(socket) ?? socket;
  if (socket.writableEnded || tcp.writableEnded || tcp.destroyed) {
    socket.destroy();
    tcp.destroy();
    return;
  }
  tcp.resetAndDestroy();
  socket.destroy();
}
