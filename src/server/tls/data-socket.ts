import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { FtpError, Reply } from '../../protocol/index.js';

interface Wrapped {
  /** The handshake, settled once, whoever waits for it: whether it resumed a session. */
  done: Promise<boolean>;
  /** The TCP socket under it: it counts the bytes the TLS layer has read. */
  raw: Socket;
}

/** The data sockets wrapped here. */
const wrapped = new WeakMap<TLSSocket, Wrapped>();

/**
 * Makes a data connection the TLS server's side (RFC 4217 section 7: the FTP server is the TLS
 * server on every data connection, whoever opened the TCP connection) and starts the handshake.
 */
export function wrapDataSocket(socket: Socket, context: SecureContext): TLSSocket {
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
  // A reset after the transfer has its reply must not throw; during it, the streams see it.
  secure.on('error', () => undefined);
  const done = new Promise<boolean>((resolve, reject) => {
    const fail = (err?: Error): void => {
      secure.off('secure', onSecure);
      reject(
        new FtpError(Reply.CantOpenData, `TLS handshake on the data connection failed: ${reason(err)}.`),
      );
    };
    const onClose = (): void => fail(new Error('the connection closed'));
    const onSecure = (): void => {
      secure.off('error', fail).off('close', onClose);
      // Asked now: a client with nothing to send (an empty upload) may close in this same turn,
      // and a closed socket no longer knows.
      const reused = secure.isSessionReused();
      // 'secure' comes while Node is still reading the client's Finished; what OpenSSL wrote on
      // it, the new session ticket, goes out when that read is over. Resolving in the next turn
      // puts the ticket on the wire before whatever the caller sends next (150 on the control).
      setImmediate(() => resolve(reused));
    };
    secure.once('secure', onSecure).once('error', fail).once('close', onClose);
  });
  // Nobody may be waiting yet (a passive connection accepted before RETR).
  done.catch(() => undefined);
  wrapped.set(secure, { done, raw: socket });
  return secure;
}

/** Whether the client has sent anything on the data socket yet: its ClientHello, if anything. */
export function dataHandshakeBegun(socket: TLSSocket): boolean {
  return (wrapped.get(socket)?.raw.bytesRead ?? 0) > 0;
}

/**
 * Resolves once the data socket's handshake is done and what came with it has been sent, with
 * whether it resumed a session; a failure, a close or the timeout rejects.
 */
export async function dataHandshake(socket: TLSSocket, timeoutMs: number): Promise<boolean> {
  const done = wrapped.get(socket)?.done;
  if (done === undefined) throw new Error('not a data socket wrapped by wrapDataSocket');
  socket.setTimeout(timeoutMs, () => socket.destroy());
  try {
    return await done;
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    socket.setTimeout(0);
  }
}

/** OpenSSL's reason alone ("wrong version number"), not the library's error path. */
function reason(err: Error | undefined): string {
  const message = err?.message ?? 'unknown error';
  return (message.split(':').pop() ?? message).trim();
}
