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
 * The same data connection with TLS over it (FTPS, PROT P): `secure` starts the handshake on the
 * connected TCP socket, and the socket the transfer gets is the TLS one, once the handshake is
 * done. Closing resets the TCP connection, as for a plain one.
 */
export function overTls(data: PendingData, secure: (tcp: Socket) => Promise<Socket>): PendingData {
  let current: Socket | undefined;
  const socket = data.socket.then(async (tcp) => {
    current = tcp;
    const tls = keepErrorsHeard(await secure(tcp));
    tcpUnder.set(tls, tcp);
    current = tls;
    return tls;
  });
  // The caller may give up before awaiting; the rejection is then nobody's news.
  socket.catch(() => undefined);
  return {
    socket,
    close(): void {
      data.close();
      if (current !== undefined) abandon(current);
    },
  };
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
