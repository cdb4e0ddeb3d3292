import type { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createAsciiDecoder, createAsciiEncoder } from '../../protocol/ascii.js';

/** File (or listing) bytes to the data socket; TYPE A turns LF into CRLF on the way. */
export async function sendToSocket(
  source: Readable | Buffer,
  socket: Socket,
  ascii: boolean,
  signal: AbortSignal,
): Promise<void> {
  if (Buffer.isBuffer(source) && !ascii) {
    await sendBuffer(source, socket, signal);
    return;
  }
  const readable = Buffer.isBuffer(source) ? Readable.from([source], { objectMode: false }) : source;
  if (ascii) await pipeline(readable, createAsciiEncoder(), socket, { signal });
  else await pipeline(readable, socket, { signal });
}

/**
 * A small file in one write. pipeline() would build its own AbortController, listeners and an
 * async iterator per call, which costs more than sending the 4 KiB does.
 */
async function sendBuffer(buffer: Buffer, socket: Socket, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  const onAbort = (): void => {
    socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    socket.end(buffer);
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
