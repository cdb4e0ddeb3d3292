import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { FtpError, Reply } from '../../protocol/index.js';

/** The handshake of each data socket wrapped here, settled once, whoever waits for it. */
const handshakes = new WeakMap<TLSSocket, Promise<void>>();

/**
 * Makes a data connection the TLS server's side (RFC 4217 section 7: the FTP server is the TLS
 * server on every data connection, whoever opened the TCP connection) and starts the handshake.
 */
export function wrapDataSocket(socket: Socket, context: SecureContext): TLSSocket {
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
  // A reset after the transfer has its reply must not throw; during it, the streams see it.
  secure.on('error', () => undefined);
  const done = new Promise<void>((resolve, reject) => {
    const fail = (err?: Error): void => {
      secure.off('secure', onSecure);
      reject(
        new FtpError(Reply.CantOpenData, `TLS handshake on the data connection failed: ${reason(err)}.`),
      );
    };
    const onClose = (): void => fail(new Error('the connection closed'));
    const onSecure = (): void => {
      secure.off('error', fail).off('close', onClose);
      resolve();
    };
    secure.once('secure', onSecure).once('error', fail).once('close', onClose);
  });
  // Nobody may be waiting yet (a passive connection accepted before RETR).
  done.catch(() => undefined);
  handshakes.set(secure, done);
  return secure;
}

/** Resolves once the data socket's handshake is done; a failure, a close or the timeout rejects. */
export async function dataHandshake(socket: TLSSocket, timeoutMs: number): Promise<void> {
  const done = handshakes.get(socket);
  if (done === undefined) throw new Error('not a data socket wrapped by wrapDataSocket');
  socket.setTimeout(timeoutMs, () => socket.destroy());
  try {
    await done;
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
