import type { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createAsciiDecoder, createAsciiEncoder } from '../../protocol/ascii.js';

/**
 * File (or listing) bytes to the data socket; TYPE A turns LF into CRLF on the way. Returns
 * undefined when a small file went out in one write and the socket is closed already.
 */
export function sendToSocket(
  source: Readable | Buffer,
  socket: Socket,
  ascii: boolean,
  signal: AbortSignal,
): Promise<void> | undefined {
  if (Buffer.isBuffer(source) && !ascii) return sendBuffer(source, socket, signal);
  const readable = Buffer.isBuffer(source) ? Readable.from([source], { objectMode: false }) : source;
  if (ascii) return pipeline(readable, createAsciiEncoder(), socket, { signal });
  return pipeline(readable, socket, { signal });
}

/**
 * A small file in one write. pipeline() would build its own AbortController, listeners and an
 * async iterator per call, which costs more than sending the 4 KiB does.
 */
function sendBuffer(buffer: Buffer, socket: Socket, signal: AbortSignal): Promise<void> | undefined {
  signal.throwIfAborted();
  socket.write(buffer);
  if (socket.errored !== null) throw socket.errored;
  if (socket.writableLength === 0) {
    // The kernel took every byte. Closing now puts the FIN right behind them, where end() would
    // wait a turn of the event loop for shutdown() and its callback before the client sees EOF.
    socket.destroy();
    return undefined;
  }
  return finishSending(socket, signal);
}

async function finishSending(socket: Socket, signal: AbortSignal): Promise<void> {
  const onAbort = (): void => {
    socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    socket.end();
    await finished(socket, { readable: false });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Data socket bytes into an upload; TYPE A turns CRLF into LF. */
export async function receiveFromSocket(
  socket: Socket,
  target: Writable,
  ascii: boolean,
  signal: AbortSignal,
): Promise<void> {
  if (ascii) await pipeline(socket, createAsciiDecoder(), target, { signal });
  else await pipeline(socket, target, { signal });
}
