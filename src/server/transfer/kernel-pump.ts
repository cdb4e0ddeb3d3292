import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { getSystemErrorName } from 'node:util';
import { toFtpError } from '../fs/errors.js';
import type { FileRange } from '../fs/file-range.js';
import { pumpFile } from './file-pump.js';
import { RangeSender } from './range-sender.js';
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

/**
 * A bound on the downloads that run on threads of their own at once. Past it a download goes
 * through buffers, at once rather than queued: a client should not wait for a thread while the
 * event loop could serve it.
 */
export class ThreadBudget {
  #inUse = 0;

  constructor(readonly size: number) {}

  /** Threads running now. */
  get inUse(): number {
    return this.#inUse;
  }

  take(): boolean {
    if (this.#inUse >= this.size) return false;
    this.#inUse++;
    return true;
  }

  give(): void {
    this.#inUse--;
  }
}

/**
 * Past 64 at once the buffers serve the rest, at some more CPU per byte: a thread each for
 * thousands of clients would count against the pids limit of a container or a systemd unit
 * (often 1,024 to 4,915 tasks), which Node's own threads share.
 */
export const kernelThreads = new ThreadBudget(64);

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
export function sendFileRange(
  range: FileRange,
  socket: Socket,
  useSendfile: boolean,
  threads: ThreadBudget = kernelThreads,
): Promise<void> {
  const addon = useSendfile && !(socket instanceof TLSSocket) ? sendfileAddon : undefined;
  const fd = addon === undefined ? undefined : socketFd(socket);
  if (addon === undefined || fd === undefined || !threads.take()) return pumpFile(range, socket);
  return new Promise((resolve, reject) => {
    new KernelPump(addon, threads, range, socket, fd, resolve, reject).start();
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

class KernelPump extends RangeSender {
  #handle: SendfileHandle | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastSent = 0;

  constructor(
    private readonly addon: SendfileAddon,
    private readonly threads: ThreadBudget,
    range: FileRange,
    socket: Socket,
    private readonly fd: number,
    resolve: () => void,
    reject: (error: Error) => void,
  ) {
    super(range, socket, resolve, reject);
  }

  start(): void {
    this.listen();
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
      this.threads.give();
      this.handOver(pumpFile);
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
    this.threads.give();
    this.#handle = undefined;
    clearInterval(this.#timer);
    kernelBytes.set(this.socket, sent);
    if (this.failed) {
      this.settle();
      return;
    }
    if (errno !== 0) {
      const code = getSystemErrorName(-errno);
      if (sent === 0 && UNSUPPORTED.has(code)) {
        this.handOver(pumpFile);
        return;
      }
      const error = Object.assign(new Error(`sendfile: ${code}`), { code });
      this.fail(CONNECTION_ERRORS.has(code) ? error : toFtpError(error));
      return;
    }
    // Every byte went (or the file ended early, and what it had did).
    this.end();
  }

  /** The thread holds its own copy of the socket: the connection ends once it has stopped. */
  protected override stopWork(): boolean {
    if (this.#handle === undefined) return false;
    this.addon.cancel(this.#handle);
    return true;
  }
}
