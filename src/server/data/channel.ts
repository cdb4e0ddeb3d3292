import type { Socket } from 'node:net';

/**
 * A data connection prepared by PORT/EPRT (active) or PASV/EPSV (passive). Transfer code only
 * calls open() and close(), so it never learns which mode produced the socket.
 */
export interface DataChannel {
  readonly mode: 'active' | 'passive';
  /**
   * The connected socket: active mode connects now, passive mode waits for the connection from
   * the control peer, or returns at once the one it has already accepted (a passive client
   * usually connects before it sends RETR/STOR), so the transfer can start in the same turn.
   * Rejects with DataConnectionError on timeout, refusal or close(). Call at most once.
   */
  open(): Socket | Promise<Socket>;
  /**
   * Releases the listener / port / pending socket, and rejects an open() still waiting (this is
   * how ABOR stops a transfer whose connection has not come yet). Safe to call more than once.
   */
  close(): void;
}
