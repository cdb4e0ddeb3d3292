import type { Socket } from 'node:net';

/**
 * A data connection prepared by PORT/EPRT (active) or PASV/EPSV (passive). Transfer code only
 * calls open() and close(), so it never learns which mode produced the socket.
 */
export interface DataChannel {
  readonly mode: 'active' | 'passive';
  /**
   * Resolves with the connected socket: active mode connects now, passive mode waits for (or
   * takes the already accepted) connection from the control peer. Rejects with
   * DataConnectionError on timeout, refusal or abort. Call at most once.
   */
  open(signal: AbortSignal): Promise<Socket>;
  /** Releases the listener / port / pending socket. Safe to call more than once. */
  close(): void;
}
