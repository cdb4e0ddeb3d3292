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
 * Gives up on a data connection with a reset, which tells the server this was no clean end of
 * file (some servers answer an aborted RETR only after one). A socket already shutting down its
 * sending side (it ended, or the server closed first) cannot be reset, and is closed instead.
 */
export function abandon(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
