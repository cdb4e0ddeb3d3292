import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { formatCommand, isPreliminary, Reply, ReplyDecoder, type FtpReply } from '../protocol/index.js';
import { abortReason } from './abort.js';
import { ClientTimeoutError, ConnectionClosedError, type TimeoutPhase } from './errors.js';
import type { ControlEncoding, ProtocolLine } from './options.js';
import { certificateError, handshake, type TlsChannel } from './tls.js';

export interface ControlOptions {
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  onProtocol?: ((line: ProtocolLine) => void) | undefined;
  logger?: Logger | undefined;
  /** Cancels the connection attempt, up to the greeting. */
  signal?: AbortSignal | undefined;
  /** How commands and replies are encoded; default UTF-8. */
  encoding?: ControlEncoding | undefined;
  /** Implicit FTPS: TLS from the first byte, the server verified as the channel says. */
  implicitTls?: TlsChannel | undefined;
}

export interface SendOptions {
  /** Called for each 1xx reply that precedes the final one. */
  onPreliminary?: (reply: FtpReply) => void;
  /**
   * After a 1xx reply the final one may be a whole transfer away: stop the reply timer until
   * `restartReplyTimer()` says the data has ended.
   */
  untimedAfterPreliminary?: boolean;
}

interface Waiter {
  wire: string;
  shown: string;
  written: boolean;
  options: SendOptions;
  resolve: (reply: FtpReply) => void;
  reject: (error: Error) => void;
}

/** The command as it may be shown in logs and errors: a password never is. */
export function maskCommand(wire: string): string {
  const line = wire.replace(/\r\n$/, '');
  return /^PASS /i.test(line) ? 'PASS ****' : line;
}

/**
 * One control connection: commands are written one at a time, each waiting for its final reply,
 * so replies can never be matched to the wrong command. The first failure (socket error, timeout,
 * garbled reply, server closing) closes the connection and is the reason every later call gets.
 */
export class ControlConnection {
  /** What commands are written to and replies read from: the TCP socket, or TLS over it. */
  #socket: Socket;
  /** The TCP connection itself, whose addresses the data connections use. */
  readonly #tcp: Socket;
  readonly #host: string;
  #tls: TlsChannel | undefined;
  readonly #options: ControlOptions;
  readonly #decoder: ReplyDecoder;
  readonly #queue: Waiter[] = [];
  #greeting: Waiter | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed: ConnectionClosedError | undefined;
  readonly #closedPromise: Promise<void>;

  private constructor(socket: Socket, host: string, options: ControlOptions) {
    this.#socket = socket;
    this.#tcp = socket;
    this.#host = host;
    this.#options = options;
    this.#tls = options.implicitTls;
    this.#decoder = new ReplyDecoder({ encoding: options.encoding ?? 'utf8' });
    socket.setNoDelay(true);
    this.#listen(socket);
    this.#closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => {
      this.#fail(new ConnectionClosedError('Control connection closed by the server.'));
    });
  }

  /** Reads replies from `socket` (the TCP socket, then the TLS socket once AUTH TLS is through). */
  #listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.#socket) this.#onData(chunk);
    });
    socket.on('error', (error) => {
      if (socket !== this.#socket) return;
      const refused = socket instanceof TLSSocket ? certificateError(error, socket, this.#host) : undefined;
      const reason = new ConnectionClosedError(
        refused?.message ?? `Control connection failed: ${error.message}`,
        {
          cause: refused ?? error,
        },
      );
      this.#fail(reason, refused ?? reason);
    });
    socket.once('end', () => {
      if (socket !== this.#socket) return;
      this.#fail(new ConnectionClosedError('Control connection closed by the server.'));
      socket.end();
    });
  }

  /** Connects and waits for the greeting (a 220; 120 "wait" replies are skipped). */
  static async open(
    host: string,
    port: number,
    options: ControlOptions,
  ): Promise<{ control: ControlConnection; greeting: FtpReply }> {
    const { signal } = options;
    signal?.throwIfAborted();
    const tls = options.implicitTls;
    let socket: Socket;
    if (tls === undefined) {
      socket = netConnect({ host, port });
    } else {
      const secure = tlsConnect({ ...tls.connectOptions(), port });
      tls.track(secure);
      socket = secure;
    }
    const control = new ControlConnection(socket, host, options);
    const greeting = new Promise<FtpReply>((resolve, reject) => {
      control.#greeting = { wire: '', shown: 'greeting', written: true, options: {}, resolve, reject };
    });
    control.#arm(options.connectTimeoutMs, `No greeting from ${host} port ${port}`, 'connect');
    const onAbort = (): void => {
      control.destroy(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const reply = await greeting;
      if (reply.code !== Reply.ServiceReady)
        throw new ConnectionClosedError(`Server refused the session: ${reply.code} ${reply.text}`);
      return { control, greeting: reply };
    } catch (error) {
      control.destroy(error instanceof Error ? error : new Error(String(error)));
      throw signal?.aborted === true ? abortReason(signal) : error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The TCP connection to the server: its addresses are the data connections' too. */
  get socket(): Socket {
    return this.#tcp;
  }

  /** The TLS side of the session, once the connection is secure (implicit, or after AUTH TLS). */
  get tls(): TlsChannel | undefined {
    return this.#tls;
  }

  /**
   * Turns the connection into TLS, as the client: after the server's 234 to AUTH TLS, with no
   * command in flight. Resolves once the handshake is done.
   * @throws TlsCertificateError when the server's certificate does not verify (the connection is
   *   then closed), or what failed the connection.
   */
  async startTls(channel: TlsChannel): Promise<void> {
    if (this.#closed) throw this.#closed;
    if (this.#tls !== undefined) throw new Error('The control connection is secure already.');
    if (this.#decoder.buffered > 0) {
      // Clear text behind the 234 would become the start of the first reply read over TLS: a way
      // for anyone on the path to answer in the server's name (the STARTTLS injection of
      // CVE-2011-0411). A whole reply there fails the connection already, as unasked for.
      const reason = new ConnectionClosedError(
        `${this.#host} sent clear text behind its 234 to AUTH TLS; the connection is not safe.`,
      );
      this.#fail(reason);
      throw reason;
    }
    const secure = tlsConnect({ ...channel.connectOptions(), socket: this.#tcp });
    channel.track(secure);
    this.#socket = secure;
    this.#tls = channel;
    this.#listen(secure);
    try {
      await handshake(secure, this.#host, this.#options.replyTimeoutMs, 'reply');
    } catch (error) {
      // The handshake's failure is the reason the connection is gone.
      this.#fail(
        error instanceof ConnectionClosedError
          ? error
          : new ConnectionClosedError((error as Error).message, { cause: error }),
      );
      throw error;
    }
  }

  get closedReason(): ConnectionClosedError | undefined {
    return this.#closed;
  }

  /** Resolves when the socket has closed. */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  /**
   * Sends one command and resolves with its final reply, whatever its code (the caller decides
   * what a 4xx/5xx means). Rejects only when the connection fails.
   * @throws TypeError for a verb or argument that cannot be sent (CR, LF, NUL).
   */
  send(verb: string, arg?: string, options: SendOptions = {}): Promise<FtpReply> {
    const wire = formatCommand(verb, arg);
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#queue.push({ wire, shown: maskCommand(wire), written: false, options, resolve, reject });
      if (this.#queue.length === 1) this.#writeHead();
    });
  }

  /**
   * Writes a command at once, ahead of queued ones, its reply expected right after the reply of
   * the command now in flight: ABOR during a transfer.
   */
  sendNow(verb: string, arg?: string): Promise<FtpReply> {
    const wire = formatCommand(verb, arg);
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { wire, shown: maskCommand(wire), written: false, options: {}, resolve, reject };
      if (this.#queue.length === 0) {
        this.#queue.push(waiter);
        this.#writeHead();
      } else {
        this.#queue.splice(1, 0, waiter);
        this.#write(waiter);
        // The command in flight may be a transfer whose reply timer is paused: with ABOR sent, its
        // final reply is due now, and a server that never sends it must not hang us.
        this.restartReplyTimer();
      }
    });
  }

  /** The data of a transfer has ended: its final reply must now come within the reply timeout. */
  restartReplyTimer(): void {
    const head = this.#queue[0];
    if (head?.written === true) this.#arm(this.#options.replyTimeoutMs, `No reply to ${head.shown}`);
  }

  /** Closes the socket at once, failing whatever waits. */
  destroy(reason: Error = new ConnectionClosedError('Connection closed by the client.')): void {
    this.#fail(
      reason instanceof ConnectionClosedError
        ? reason
        : new ConnectionClosedError(reason.message, { cause: reason }),
    );
  }

  /** Ends the connection politely after the queued commands (the caller sends QUIT first). */
  async end(): Promise<void> {
    if (!this.#socket.destroyed) this.#socket.end();
    await this.#closedPromise;
  }

  #writeHead(): void {
    const head = this.#queue[0];
    if (head === undefined || head.written) return;
    this.#write(head);
    this.#arm(this.#options.replyTimeoutMs, `No reply to ${head.shown}`);
  }

  #write(waiter: Waiter): void {
    waiter.written = true;
    this.#show('sent', waiter.shown);
    this.#socket.write(waiter.wire, this.#options.encoding ?? 'utf8');
  }

  #onData(chunk: Buffer): void {
    let replies: FtpReply[];
    try {
      replies = this.#decoder.push(chunk);
    } catch (error) {
      this.#fail(new ConnectionClosedError(`Garbled reply: ${(error as Error).message}`, { cause: error }));
      return;
    }
    for (const reply of replies) {
      if (this.#closed) return;
      this.#onReply(reply);
    }
  }

  #onReply(reply: FtpReply): void {
    for (const line of reply.lines) this.#show('received', `${reply.code} ${line}`);
    const greeting = this.#greeting;
    if (greeting !== undefined) {
      if (isPreliminary(reply.code)) return;
      this.#greeting = undefined;
      this.#disarm();
      greeting.resolve(reply);
      return;
    }
    const head = this.#queue[0];
    if (head?.written !== true) {
      // Nothing asked for this. A 421 is the server hanging up; anything else means the two
      // sides are out of step, and every later reply would be matched to the wrong command.
      this.#fail(
        new ConnectionClosedError(
          reply.code === Reply.ServiceNotAvailable
            ? `Server closed the session: ${reply.text}`
            : `Unexpected reply ${reply.code} ${reply.text}`,
        ),
      );
      return;
    }
    if (isPreliminary(reply.code)) {
      // Not when ABOR already went out behind it: then the final reply is due now.
      if (head.options.untimedAfterPreliminary === true && this.#queue[1]?.written !== true) this.#disarm();
      head.options.onPreliminary?.(reply);
      return;
    }
    this.#queue.shift();
    this.#disarm();
    head.resolve(reply);
    const next = this.#queue[0];
    if (
      reply.code === Reply.DataOpenNoTransfer &&
      next?.written === true &&
      /^ABOR\b/i.test(next.wire) &&
      !/^ABOR\b/i.test(head.wire)
    ) {
      // 225 belongs to ABOR alone (RFC 959). Some servers (pyftpdlib) cancel a transfer whose
      // data never flowed with this one reply and send nothing for the transfer itself.
      this.#queue.shift();
      next.resolve(reply);
    }
    if (reply.code === Reply.ServiceNotAvailable) {
      this.#fail(new ConnectionClosedError(`Server closed the session: ${reply.text}`));
      return;
    }
    const following = this.#queue[0];
    if (following === undefined) return;
    if (following.written) this.#arm(this.#options.replyTimeoutMs, `No reply to ${following.shown}`);
    else this.#writeHead();
  }

  #show(direction: ProtocolLine['direction'], text: string): void {
    this.#options.onProtocol?.({ direction, text });
    this.#options.logger?.debug({ direction, text }, 'ftp control');
  }

  #arm(ms: number, what: string, phase: TimeoutPhase = 'reply'): void {
    this.#disarm();
    this.#timer = setTimeout(() => {
      const message = `${what} within ${ms} ms.`;
      const timeout = new ClientTimeoutError(message, phase);
      // The commands whose reply did not come hear of the timeout; the rest that the connection closed.
      this.#fail(new ConnectionClosedError(message, { cause: timeout }), timeout);
    }, ms);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Closes for good: `reason` is what every call gets, but those already sent (and the greeting),
   * which get `sent` (default: the same).
   */
  #fail(reason: ConnectionClosedError, sent: Error = reason): void {
    if (this.#closed) return;
    this.#closed = reason;
    this.#disarm();
    this.#socket.destroy();
    this.#tcp.destroy();
    this.#greeting?.reject(sent);
    this.#greeting = undefined;
    for (const waiter of this.#queue.splice(0)) waiter.reject(waiter.written ? sent : reason);
  }
}
