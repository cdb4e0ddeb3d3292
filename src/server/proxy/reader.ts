import type { Socket } from 'node:net';
import { parseProxyHeader, ProxyHeaderError, type ProxyHeader } from './header.js';

/**
 * Reads a PROXY header off a new connection before anything else happens on it. Resolves with the
 * header once it is whole; the bytes behind it are put back, and the socket is left paused, for
 * whoever reads next (the FTP session, or a TLS handshake on the implicit FTPS port). Rejects
 * with a ProxyHeaderError for a malformed header, a peer that closes, or one that takes longer
 * than `timeoutMs`; the caller closes the socket then.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise((resolve, reject) => {
    let held: Buffer = Buffer.alloc(0);
    const finish = (): void => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError);
      socket.pause();
    };
    const fail = (reason: string): void => {
      finish();
      reject(new ProxyHeaderError(reason));
    };
    const onData = (chunk: Buffer): void => {
      // Bounded: the parser refuses anything longer than the longest header it takes.
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      let parsed;
      try {
        parsed = parseProxyHeader(held);
      } catch (err) {
        fail((err as Error).message);
        return;
      }
      if (parsed.kind === 'incomplete') return;
      finish();
      if (parsed.length < held.length) socket.unshift(held.subarray(parsed.length));
      resolve(parsed.header);
    };
    const onEnd = (): void => fail('connection closed before its PROXY header');
    const onError = (err: Error): void => fail(`connection failed before its PROXY header: ${err.message}`);
    const timer = setTimeout(() => fail('no PROXY header in time'), timeoutMs);
    socket.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError);
  });
}
