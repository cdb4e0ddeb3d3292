import type { Socket } from 'node:net';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createAsciiDecoder, createAsciiEncoder } from '../../protocol/ascii.js';

/*
 * No AbortSignal here: a transfer is aborted by destroying its data socket, and a destroyed
 * socket makes pipeline() and finished() reject and pipeline() destroy the other streams too.
 */

/**
 * File (or listing) bytes to the data socket; TYPE A turns LF into CRLF on the way. Returns
 * undefined when a small file went out in one write and the socket is closed already.
 */
export function sendToSocket(
  source: Readable | Buffer,
  socket: Socket,
  ascii: boolean,
): Promise<void> | undefined {
  if (Buffer.isBuffer(source) && !ascii) return sendBuffer(source, socket);
  const readable = Buffer.isBuffer(source) ? Readable.from([source], { objectMode: false }) : source;
  if (ascii) return pipeline(readable, createAsciiEncoder(), socket);
  return pipeline(readable, socket);
}

/**
 * A small file in one write. pipeline() would build its own AbortController, listeners and an
 * async iterator per call, which costs more than sending the 4 KiB does.
 */
function sendBuffer(buffer: Buffer, socket: Socket): Promise<void> | undefined {
  socket.write(buffer);
  if (socket.errored !== null) throw socket.errored;
  if (socket.writableLength === 0) {
    // The kernel took every byte. Closing now puts the FIN right behind them, where end() would
    // wait a turn of the event loop for shutdown() and its callback before the client sees EOF.
    socket.destroy();
    return undefined;
  }
  socket.end();
  return finished(socket, { readable: false });
}

/** Data socket bytes into an upload; TYPE A turns CRLF into LF. */
export async function receiveFromSocket(socket: Socket, target: Writable, ascii: boolean): Promise<void> {
  if (ascii) await pipeline(socket, createAsciiDecoder(), target);
  else await pipeline(socket, target);
}
