import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createAsciiDecoder, createAsciiEncoder } from '../../protocol/ascii.js';

/** File (or listing) bytes to the data socket; TYPE A turns LF into CRLF on the way. */
export async function sendToSocket(
  source: Readable,
  socket: Socket,
  ascii: boolean,
  signal: AbortSignal,
): Promise<void> {
  if (ascii) await pipeline(source, createAsciiEncoder(), socket, { signal });
  else await pipeline(source, socket, { signal });
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
