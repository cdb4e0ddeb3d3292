import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { connectSocket, FtpProtocolError } from '../control-client.js';
import { withTimeout } from '../timeout.js';

export type DataMode = 'active' | 'passive';

/**
 * A data connection being set up: passive (EPSV, then we connect) or active (we listen, EPRT, and
 * the server connects back). `socket()` is called once the transfer command has been sent.
 */
export interface DataLink {
  socket(): Promise<Socket>;
  close(): void;
}

/** Sends EPSV or EPRT through `command`; the returned link yields the data socket. */
export async function openData(
  host: string,
  mode: DataMode,
  timeoutMs: number,
  command: (line: string, codes: readonly number[]) => Promise<{ text: string }>,
  /** The control connection's local address: servers accept passive data only from there. */
  localAddress?: string,
): Promise<DataLink> {
  if (mode === 'passive') {
    const reply = await command('EPSV', [229]);
    const port = /\(([!-~])\1\1(\d+)\1\)/.exec(reply.text)?.[2];
    if (port === undefined) throw new FtpProtocolError(`EPSV: no port in ${reply.text}`);
    const socket = await connectSocket(host, Number(port), timeoutMs, localAddress);
    // A reset shows as a short transfer or a failing reply; unheard, it would end the bench.
    socket.on('error', () => undefined);
    return { socket: () => Promise.resolve(socket), close: () => socket.destroy() };
  }
  const listener = createServer();
  listener.listen(0, host);
  await once(listener, 'listening');
  const { port } = listener.address() as AddressInfo;
  // Listening before the command: the server may connect before it replies 150.
  const accepted = withTimeout(
    once(listener, 'connection') as Promise<[Socket]>,
    timeoutMs,
    'the server connecting back (active mode)',
  );
  accepted.catch(() => undefined);
  let socket: Socket | undefined;
  try {
    await command(`EPRT |1|${host}|${port}|`, [200]);
  } catch (error) {
    listener.close();
    throw error;
  }
  return {
    async socket() {
      try {
        [socket] = await accepted;
        socket.on('error', () => undefined);
        return socket;
      } finally {
        listener.close();
      }
    },
    close() {
      listener.close();
      socket?.destroy();
    },
  };
}
