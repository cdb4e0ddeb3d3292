import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { getSystemErrorName } from 'node:util';
import { toFtpError } from '../fs/errors.js';
import type { FileRange } from '../fs/file-range.js';
import { PrematureCloseError, pumpFile } from './file-pump.js';
import { sendfileAddon, type SendfileAddon, type SendfileHandle } from './sendfile-addon.js';

/** How often a running transfer's progress re-arms the socket's idle timer (the kernel's writes don't). */
const PROGRESS_MS = 1000;

/**
 * What sendfile() answers when this file or socket cannot be sent from (a file system without
 * splice support): before any byte went, the transfer goes through buffers instead, as vsftpd does.
 */
const UNSUPPORTED = new Set(['EINVAL', 'ENOSYS', 'EOPNOTSUPP']);

/** Failures of the connection rather than of the file: the runner's 426, as a write's error gets. */
const CONNECTION_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNABORTED', 'ETIMEDOUT']);

const kernelBytes = new WeakMap<Socket, number>();

/** Bytes of a download that the kernel sent straight from the file: socket.bytesWritten misses them. */
export function bytesSentByKernel(socket: Socket): number {
  return kernelBytes.get(socket) ?? 0;
}

/**
 * Sends a file range to the socket: with sendfile(2) where the add-on is built and the socket is
 * plain TCP, else through buffers (file-pump.ts). Over TLS the bytes must pass through the process
 * to be encrypted. Settles as pumpFile does: once the socket has taken every byte and ended, or
 * failed, and never while the thread still runs; the range is closed then.
 */
export function sendFileRange(range: FileRange, socket: Socket, useSendfile: boolean): Promise<void> {
  const addon = useSendfile && !(socket instanceof TLSSocket) ? sendfileAddon : undefined;
  const fd = addon === undefined ? undefined : socketFd(socket);
  if (addon === undefined || fd === undefined) return pumpFile(range, socket);
  return new Promise((resolve, reject) => {
    new KernelPump(addon, range, socket, fd, resolve, reject).start();
  });
}

/**
 * The descriptor under a connected net.Socket: libuv's handle has it on Unix, and Node offers no
 * public way to it. Undefined if a later Node hides it, and the buffers then do the work.
 */
function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

class KernelPump {
  #handle: SendfileHandle | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastSent = 0;
  #failure: Error | undefined;
  #settled = false;
  readonly #onError = (error: Error): void => this.#fail(error);
  readonly #onClose = (): void => this.#fail(new PrematureCloseError());
  // A 'finish' before our end() is Node ending the socket for a client that sent its FIN (or a
  // reset read as one) mid-file: the download did not complete.
  readonly #onFinish = (): void => (this.#ended ? this.#succeed() : this.#fail(new PrematureCloseError()));
  #ended = false;

  constructor(
    private readonly addon: SendfileAddon,
    private readonly range: FileRange,
    private readonly socket: Socket,
    private readonly fd: number,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {}

  start(): void {
    const { socket } = this;
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('finish', this.#onFinish);
    const { range } = this;
    try {
      this.#handle = this.addon.start(
        this.fd,
        range.fd,
        range.start,
        range.end - range.start,
        (errno, sent) => this.#done(errno, sent),
      );
    } catch {
      // No thread or descriptor to spare now (EMFILE, EAGAIN): this one goes through buffers.
      this.#fallBack();
      return;
    }
    this.#timer = setInterval(() => this.#progress(), PROGRESS_MS).unref();
  }

  /** Re-arms the data connection's idle timer while bytes move, as a write of the socket would. */
  #progress(): void {
    if (this.#handle === undefined) return;
    const sent = this.addon.sent(this.#handle);
    if (sent === this.#lastSent) return;
    this.#lastSent = sent;
    const { timeout } = this.socket;
    if (timeout !== undefined && timeout > 0) this.socket.setTimeout(timeout);
  }

  #done(errno: number, sent: number): void {
    this.#handle = undefined;
    clearInterval(this.#timer);
    kernelBytes.set(this.socket, sent);
    if (this.#failure !== undefined) {
      this.#settle();
      return;
    }
    if (errno !== 0) {
      const code = getSystemErrorName(-errno);
      if (sent === 0 && UNSUPPORTED.has(code)) {
        this.#fallBack();
        return;
      }
      const error = Object.assign(new Error(`sendfile: ${code}`), { code });
      this.#fail(CONNECTION_ERRORS.has(code) ? error : toFtpError(error));
      return;
    }
    // Every byte is with the socket (or the file ended early, and what it had is): the client gets
    // its EOF once they are sent ('finish').
    this.#ended = true;
    this.range.close();
    this.socket.end();
  }

  /** The buffers take the transfer over, with listeners of their own. */
  #fallBack(): void {
    const { socket } = this;
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
    socket.off('finish', this.#onFinish);
    pumpFile(this.range, this.socket).then(this.resolve, this.reject);
  }

  #succeed(): void {
    if (this.#settled || this.#failure !== undefined) return;
    this.#settled = true;
    this.resolve();
  }

  #fail(error: Error): void {
    if (this.#settled || this.#failure !== undefined) return;
    this.#failure = error;
    this.socket.destroy();
    // The thread holds its own copy of the socket: the connection ends when it has stopped.
    if (this.#handle !== undefined) this.addon.cancel(this.#handle);
    else this.#settle();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.range.close();
    this.reject(this.#failure ?? new PrematureCloseError());
  }
}
