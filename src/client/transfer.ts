import type { Socket } from 'node:net';
import { isFailure, isPreliminary, Reply, type FtpReply } from '../protocol/index.js';
import { abortReason } from './abort.js';
import type { Clock } from './clock.js';
import { maskCommand, type ControlConnection } from './control.js';
import { abandon, overTls, type PendingData } from './data/channel.js';
import { ClientTimeoutError, FtpReplyError, TlsCertificateError } from './errors.js';

export type TransferVerb = 'RETR' | 'STOR' | 'APPE' | 'LIST' | 'MLSD';

export interface TransferRequest {
  readonly control: ControlConnection;
  readonly verb: TransferVerb;
  readonly path: string | undefined;
  /** Sent as REST first when above 0. */
  readonly offset: number;
  readonly signal: AbortSignal | undefined;
  /** The data connection, set up in either mode; the transfer closes it when it fails. */
  readonly data: PendingData;
  /** FTPS (PROT P): the TLS handshake on the data connection, run once the server's 1xx is in. */
  readonly secure?: (tcp: Socket) => Promise<Socket>;
  /** How long the data connection may stay silent while the data moves. */
  readonly dataTimeoutMs: number;
  /** Times an aborted upload's grace. */
  readonly clock: Clock;
  /** Moves the data; resolves once it has all been written (download) or sent (upload). */
  run(socket: Socket, preliminary: FtpReply | undefined): Promise<void>;
}

export interface TransferOutcome {
  /** Payload bytes over the data connection: read for a download or listing, written for an upload. */
  bytes: number;
  /** The final 2xx reply. */
  reply: FtpReply;
}

/** How long an aborted upload waits for the server's answer before it closes the data connection. */
const ABORT_GRACE_MS = 1000;

/**
 * One transfer on a data connection that is set up: REST, the command, the data, the final reply.
 * It resolves only when both the data and the final reply are complete (in whichever order they
 * come), so a caller never sees success for a file the server has not confirmed. Timers: the data
 * connection's idle timer runs while data moves, the control connection's reply timer before the
 * 1xx and again once the data has ended. An AbortSignal sends ABOR and rejects with its reason.
 */
export function runTransfer(request: TransferRequest): Promise<TransferOutcome> {
  return new Transfer(request).run();
}

class Transfer {
  readonly #request: TransferRequest;
  readonly #command: string;
  readonly #upload: boolean;
  /** The command's final reply, once the command is sent. */
  #final: Promise<FtpReply> | undefined;
  /** ABOR's reply, once an abort sent it. */
  #abort: Promise<unknown> | undefined;
  #socket: Socket | undefined;
  /** The data connection's TCP socket: #socket itself, or what TLS runs over. */
  #tcp: Socket | undefined;
  /** When an aborted upload's data connection may be closed: see #onAbort. */
  #released: Promise<void> | undefined;

  constructor(request: TransferRequest) {
    this.#request = request;
    const { verb, path } = request;
    this.#command = maskCommand(path === undefined ? verb : `${verb} ${path}`);
    this.#upload = verb === 'STOR' || verb === 'APPE';
  }

  async run(): Promise<TransferOutcome> {
    const { signal } = this.#request;
    const onAbort = (): void => {
      this.#onAbort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#exchange();
    } catch (error) {
      throw await this.#failed(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#socket?.destroy();
      this.#tcp?.destroy();
    }
  }

  async #exchange(): Promise<TransferOutcome> {
    const { control, data, signal, offset, verb, path } = this.#request;
    signal?.throwIfAborted();
    if (offset > 0) {
      const rest = await control.send('REST', String(offset));
      if (rest.code !== Reply.PendingFurtherInfo) throw new FtpReplyError(`REST ${offset}`, rest);
    }
    signal?.throwIfAborted();
    let markStarted: (reply: FtpReply) => void = () => undefined;
    const started = new Promise<FtpReply>((resolve) => (markStarted = resolve));
    const final = control.send(verb, path, { untimedAfterPreliminary: true, onPreliminary: markStarted });
    this.#final = final;
    final.catch(() => undefined);
    const tcp = await this.#dataOrRefusal(data, final);
    this.#socket = tcp;
    this.#tcp = tcp;
    // Nothing is read or written before the server's 1xx: a local file must not be truncated,
    // or data sent, for a command the server is about to refuse.
    const go = await Promise.race([started, final]);
    if (isFailure(go.code)) throw new FtpReplyError(this.#command, go);
    signal?.throwIfAborted();
    const socket = await this.#secured(tcp, final);
    this.#socket = socket;
    // In passive mode the connection is up before the command is sent, so a refusal can come
    // while we already wait for data that will never flow.
    final.then(
      (reply) => isFailure(reply.code) && socket.destroy(),
      () => socket.destroy(),
    );
    const dataError = await this.#moveData(socket, isPreliminary(go.code) ? go : undefined);
    control.restartReplyTimer();
    const reply = await final;
    if (this.#abort !== undefined) {
      await this.#abort;
      throw abortReason(signal);
    }
    // A local failure (disk full, no permission) explains the server's 426 better than the 426.
    if (dataError !== undefined && !isNetworkError(dataError)) throw dataError;
    if (isFailure(reply.code)) throw new FtpReplyError(this.#command, reply);
    if (dataError !== undefined) throw dataError;
    return { bytes: this.#upload ? socket.bytesWritten : socket.bytesRead, reply };
  }

  /**
   * Waits for the data connection, unless the server refuses the command first. A success reply
   * may also beat the connection (the two travel on different sockets), so only a refusal stops
   * the wait.
   */
  async #dataOrRefusal(data: PendingData, final: Promise<FtpReply>): Promise<Socket> {
    const refusal = final.then(
      (reply) => (isFailure(reply.code) ? reply : new Promise<never>(() => undefined)),
      (error: unknown) => Promise.reject(error as Error),
    );
    const first = await Promise.race([data.socket, refusal]);
    if (!('code' in first)) return first;
    const error = new FtpReplyError(this.#command, first);
    throw data.explain?.(error) ?? error;
  }

  /**
   * The data connection as the transfer uses it: TLS over `tcp` for FTPS. The handshake starts
   * only after the 1xx, as ftplib's does: pyftpdlib resets a data connection whose ClientHello
   * comes before the command, and vsftpd and ftpkitd answer the 1xx before their side of it.
   * When it fails, the server's reply says why better (pyftpdlib's "522 SSL handshake failed"),
   * unless the client knows better itself: a handshake that timed out, or a certificate it refused,
   * is no more than a dropped connection to the server.
   */
  async #secured(tcp: Socket, final: Promise<FtpReply>): Promise<Socket> {
    const { secure, control } = this.#request;
    if (secure === undefined) return tcp;
    try {
      return await overTls(tcp, secure);
    } catch (error) {
      abandon(tcp);
      control.restartReplyTimer();
      const reply = await final;
      if (error instanceof ClientTimeoutError || error instanceof TlsCertificateError) throw error;
      throw isFailure(reply.code) ? new FtpReplyError(this.#command, reply) : error;
    }
  }

  /** Runs the caller's data mover on the idle timer; resolves with what went wrong, if anything. */
  async #moveData(socket: Socket, preliminary: FtpReply | undefined): Promise<Error | undefined> {
    const { dataTimeoutMs } = this.#request;
    let timedOut: ClientTimeoutError | undefined;
    socket.setTimeout(dataTimeoutMs, () => {
      timedOut = new ClientTimeoutError(`No data for ${dataTimeoutMs} ms.`, 'data');
      abandon(socket);
    });
    try {
      await this.#request.run(socket, preliminary);
      return undefined;
    } catch (error) {
      // A reset, not an end of file: a server must not take a failed upload for a whole file.
      abandon(socket);
      return timedOut ?? (error instanceof Error ? error : new Error(String(error)));
    } finally {
      // From here the final reply is awaited, on the reply timer: a server may take its time to
      // answer (or never) while the data connection sits idle.
      socket.setTimeout(0);
    }
  }

  #onAbort(): void {
    const { control, data, clock } = this.#request;
    const final = this.#final;
    if (final === undefined) {
      data.close();
      return;
    }
    this.#abort = control.sendNow('ABOR').catch(() => undefined);
    if (!this.#upload) {
      data.close();
      return;
    }
    // An upload's data connection stays open, sending nothing more, until the server has
    // answered: ended or reset at once, it can reach the server before the ABOR (the two travel on
    // different sockets; libuv reads a reset right after data as a clean end) and the server keeps
    // what it got as the whole file. A server that reads ABOR only once the data ends gets the
    // connection closed after a grace.
    this.#socket?.cork();
    this.#released = settledOrAfter(final, ABORT_GRACE_MS, clock).then(() => {
      data.close();
    });
  }

  /** Cleans up after a failure and says what the caller should hear. */
  async #failed(error: unknown): Promise<unknown> {
    const { control, data, signal } = this.#request;
    await this.#released;
    data.close();
    // The 1xx paused the reply timer; whatever failed, the final reply is due now.
    control.restartReplyTimer();
    if (this.#abort === undefined) return error;
    await this.#abort;
    await this.#final?.catch(() => undefined);
    return abortReason(signal);
  }
}

/** Resolves once `promise` settles, or after `ms`, whichever comes first; never rejects. */
function settledOrAfter(promise: Promise<unknown>, ms: number, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    const cancel = clock.after(ms, resolve);
    const done = (): void => {
      cancel();
      resolve();
    };
    promise.then(done, done);
  });
}

/** Errors of the data socket itself, which the server's reply explains better. */
function isNetworkError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ECONNABORTED' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'ERR_STREAM_DESTROYED'
  );
}
