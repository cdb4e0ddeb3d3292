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
