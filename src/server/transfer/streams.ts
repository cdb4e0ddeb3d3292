import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createAsciiDecoder, createAsciiEncoder } from '../../protocol/index.js';
import { FileRange } from '../fs/file-range.js';
import { sendFileRange } from './kernel-pump.js';

/** Stream chunks when a file range goes through a stream (TYPE A). */
const STREAM_CHUNK = 256 * 1024;

/**
 * File (or listing) bytes to the data socket; TYPE A turns LF into CRLF on the way. Returns
 * undefined when a small file went out in one write and the socket is closed already. A file range
 * in binary mode goes out with sendfile(2) where it can (`useSendfile`, kernel-pump.ts), else
 * through reused buffers (file-pump.ts), and is closed when that settles.
 * `signal()` is asked for only when a pipeline is built: making an AbortSignal costs more than
 * sending a small file does.
 */
export function sendToSocket(
  source: Readable | Buffer | FileRange,
  socket: Socket,
  ascii: boolean,
  signal: () => AbortSignal,
  useSendfile: boolean,
): Promise<void> | undefined {
  if (Buffer.isBuffer(source) && !ascii) return sendBuffer(source, socket);
  if (source instanceof FileRange && !ascii) return sendFileRange(source, socket, useSendfile);
  const readable = Buffer.isBuffer(source)
    ? Readable.from([source], { objectMode: false })
    : source instanceof FileRange
      ? source.toStream(STREAM_CHUNK)
      : source;
  if (ascii) return pipeline(readable, createAsciiEncoder(), socket, { signal: signal() });
  return pipeline(readable, socket, { signal: signal() });
}

/**
 * A small file in one write. pipeline() would build its own AbortController, listeners and an
 * async iterator per call, which costs more than sending the 4 KiB does.
 */
function sendBuffer(buffer: Buffer, socket: Socket): Promise<void> | undefined {
  socket.write(buffer);
  if (socket.errored !== null) throw socket.errored;
  // Over TLS, destroy() would drop the close_notify: clients that wait for it (ftplib) then fail.
  if (socket.writableLength === 0 && !(socket instanceof TLSSocket)) {
    // The kernel took every byte. Closing now puts the FIN right behind them, where end() would
    // wait a turn of the event loop for shutdown() and its callback before the client sees EOF.
    socket.destroy();
    return undefined;
  }
  // The rest is the kernel's to send. An abort destroys the socket, which makes finished() reject.
  socket.end();
  return finished(socket, { readable: false });
}

/**
 * Data socket bytes into an upload; TYPE A turns CRLF into LF. A binary upload is stopped by
 * destroying the socket (as the session's ABOR does); `signal()` is asked for only in ASCII mode,
 * where a pipeline is built.
 */
export function receiveFromSocket(
  socket: Socket,
  target: Writable,
  ascii: boolean,
  signal: () => AbortSignal,
): Promise<void> {
  if (ascii) return pipeline(socket, createAsciiDecoder(), target, { signal: signal() });
  return receiveBinary(socket, target);
}

/**
 * socket.pipe(target), settled when the target has taken every byte. pipeline() would make an
 * AbortController and abort it at the end (a DOMException per call), and add a dozen listeners:
 * for a small upload that is more work than the bytes are. pipe() keeps the backpressure; the
 * rest of what pipeline() does for two streams is here: either one failing destroys both, and a
 * socket that closes before its end is a failure too.
 */
function receiveBinary(socket: Socket, target: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      target.destroy();
      reject(error);
    };
    socket.on('error', fail);
    target.on('error', fail);
    socket.on('close', () => {
      if (!socket.readableEnded) fail(new PrematureCloseError());
    });
    target.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    socket.pipe(target);
  });
}

/** The data connection closed before the client ended it (reset, or destroyed by an abort). */
class PrematureCloseError extends Error {
  constructor() {
    super('The data connection closed before the upload ended.');
    this.name = 'PrematureCloseError';
  }
}
