import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { ReplyDecoder } from '../../src/protocol/reply-decoder.js';
import type { FtpReply } from '../../src/protocol/reply.js';
import { parsePasvReply } from '../../src/protocol/address/port.js';
import { parseEpsvReply } from '../../src/protocol/address/epsv.js';

/**
 * A deliberately dumb control client for protocol tests: sends exact bytes, returns replies as
 * they come. Every wait is bounded so a broken server fails the test instead of hanging it.
 */
export class RawControl {
  socket: Socket;
  private readonly decoder = new ReplyDecoder();
  private readonly replies: FtpReply[] = [];
  private waiters: ((reply: FtpReply | Error) => void)[] = [];
  private ended = false;
  greeting: FtpReply | undefined;
  /** The TLS session the server last gave the control connection (a ticket), for data connections. */
  tlsSession: Buffer | undefined;
  /** Every chunk as it arrived: shows which replies the server sent in one write. */
  readonly chunks: string[] = [];

  private readonly onData = (chunk: Buffer): void => {
    this.chunks.push(chunk.toString('latin1'));
    for (const reply of this.decoder.push(chunk)) this.deliver(reply);
  };

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiters) waiter(new Error('control connection closed'));
      this.waiters = [];
    });
    socket.on('error', () => undefined);
  }

  static async connect(
    host: string,
    port: number,
    options: { localAddress?: string; preamble?: Buffer | string } = {},
  ): Promise<RawControl> {
    const socket = connect({
      host,
      port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    await once(socket, 'connect');
    // What a load balancer sends before the server speaks (a PROXY header).
    if (options.preamble !== undefined) socket.write(options.preamble);
    const control = new RawControl(socket);
    control.greeting = await control.read();
    return control;
  }

  /** Implicit FTPS: the TLS handshake first, then the greeting over TLS. Trusts any certificate. */
  static async connectImplicit(
    host: string,
    port: number,
    options: ConnectionOptions = {},
  ): Promise<RawControl> {
    const secure = connectTls({ host, port, rejectUnauthorized: false, ...options });
    const control = new RawControl(secure);
    secure.on('session', (session: Buffer) => {
      control.tlsSession = session;
    });
    await once(secure, 'secureConnect');
    control.greeting = await control.read();
    return control;
  }

  /**
   * After a 234 to AUTH TLS: the TLS handshake as the client, on the same connection; replies are
   * read from the TLS socket from then on. Trusts any certificate unless `options` say otherwise.
   */
  async startTls(options: ConnectionOptions = {}): Promise<TLSSocket> {
    const raw = this.socket;
    raw.off('data', this.onData);
    const secure = connectTls({ socket: raw, rejectUnauthorized: false, ...options });
    secure.on('data', this.onData);
    secure.on('session', (session: Buffer) => {
      this.tlsSession = session;
    });
    secure.on('error', () => undefined);
    secure.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiters) waiter(new Error('control connection closed'));
      this.waiters = [];
    });
    await once(secure, 'secureConnect');
    this.socket = secure;
    return secure;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  private deliver(reply: FtpReply): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(reply);
    else this.replies.push(reply);
  }

  /** A reply that has arrived and not been read yet, if any; never waits. */
  take(): FtpReply | undefined {
    return this.replies.shift();
  }

  /** The next reply, or an error after `timeoutMs` or when the server closes. */
  read(timeoutMs = 5000): Promise<FtpReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(new Error('control connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (reply: FtpReply | Error): void => {
        clearTimeout(timer);
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      };
      this.waiters.push(waiter);
    });
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends one command line (CRLF added) and returns the next reply. */
  async command(line: string, timeoutMs?: number): Promise<FtpReply> {
    this.send(`${line}\r\n`);
    return this.read(timeoutMs);
  }

  async login(user: string, password: string): Promise<void> {
    const u = await this.command(`USER ${user}`);
    if (u.code !== 331) throw new Error(`USER: ${u.code} ${u.text}`);
    const p = await this.command(`PASS ${password}`);
    if (p.code !== 230) throw new Error(`PASS: ${p.code} ${p.text}`);
  }

  /** PASV (or EPSV) and connect; returns the data socket and a promise of all bytes it delivers. */
  async passive(host: string, extended = false): Promise<{ socket: Socket; data: Promise<Buffer> }> {
    const reply = await this.command(extended ? 'EPSV' : 'PASV');
    if (reply.code !== (extended ? 229 : 227))
      throw new Error(`${extended ? 'EPSV' : 'PASV'}: ${reply.code} ${reply.text}`);
    const port = extended ? parseEpsvReply(reply.text) : parsePasvReply(reply.text).port;
    const socket = connect({ host, port });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    return { socket, data: collect(socket) };
  }

  async close(): Promise<void> {
    if (this.ended) return;
    const closed = once(this.socket, 'close');
    this.socket.destroy();
    await closed;
  }
}

export async function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
