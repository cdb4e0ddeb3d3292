import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { withTimeout } from './timeout.js';

/**
 * A deliberately small FTP control client for the bench drivers: the same code talks to every
 * server, and it shares nothing with ftpkit's own protocol code, so a bug there cannot flatter
 * ftpkitd.
 */

export interface FtpReply {
  readonly code: number;
  /** Every line of the reply, joined with "\n". */
  readonly text: string;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

const MAX_PENDING_TEXT = 64 * 1024;

export class FtpProtocolError extends Error {}

/**
 * Opens a TCP connection, rejecting after `timeoutMs`; the socket is destroyed on failure. A
 * `localAddress` such as 127.0.0.2 makes a client look like another host to the server.
 */
export async function connectSocket(
  host: string,
  port: number,
  timeoutMs: number,
  localAddress?: string,
): Promise<Socket> {
  const socket = connect({
    host,
    port,
    noDelay: true,
    ...(localAddress === undefined ? {} : { localAddress }),
  });
  try {
    await withTimeout(once(socket, 'connect'), timeoutMs, `connect to ${host}:${port}`);
    return socket;
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

export class ControlConnection {
  private partial = '';
  private multiline: { code: string; lines: string[] } | undefined;
  private readonly replies: FtpReply[] = [];
  private waiter: { resolve: (reply: FtpReply) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  /** What the next reply answers, for timeout messages. */
  private awaiting = 'the greeting';

  private socket: Socket;

  private constructor(
    socket: Socket,
    private readonly timeoutMs: number,
  ) {
    this.socket = socket;
    this.listen(socket);
  }

  private listen(socket: Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.onText(text);
    });
    socket.on('error', (error) => {
      this.fail(error);
    });
    socket.on('close', () => {
      this.fail(new Error('control connection closed by the server'));
    });
  }

  /**
   * AUTH TLS and the handshake (RFC 4217), then PBSZ 0 and PROT P. The certificate is not checked:
   * the bench's servers present a throw-away one, and what is measured is the work, not the trust.
   */
  async startTls(): Promise<void> {
    await this.expect('AUTH TLS', [234]);
    const plain = this.socket;
    plain.removeAllListeners('data').removeAllListeners('error').removeAllListeners('close');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    this.socket = secure;
    this.listen(secure);
    await withTimeout(once(secure, 'secureConnect'), this.timeoutMs, 'the TLS handshake');
    await this.expect('PBSZ 0', [200]);
    await this.expect('PROT P', [200]);
  }

  /** Connects and reads the greeting, which must be 220. */
  static async open(
    host: string,
    port: number,
    timeoutMs: number,
    localAddress?: string,
  ): Promise<ControlConnection> {
    const socket = await connectSocket(host, port, timeoutMs, localAddress);
    const connection = new ControlConnection(socket, timeoutMs);
    try {
      const greeting = await connection.next();
      if (greeting.code !== 220) throw new FtpProtocolError(`greeting: ${greeting.text}`);
      return connection;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /** The next reply from the server, in order; `awaiting` names it in a timeout message. */
  async next(awaiting?: string): Promise<FtpReply> {
    if (awaiting !== undefined) this.awaiting = awaiting;
    const queued = this.replies.shift();
    if (queued) return queued;
    if (this.failure) throw this.failure;
    const reply = new Promise<FtpReply>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
    try {
      return await withTimeout(reply, this.timeoutMs, `waiting for the reply to ${this.awaiting}`);
    } finally {
      this.waiter = undefined;
    }
  }

  async command(line: string): Promise<FtpReply> {
    if (this.failure) throw this.failure;
    this.awaiting = line.startsWith('PASS ') ? 'PASS' : line;
    this.socket.write(`${line}\r\n`);
    return this.next();
  }

  /** Sends the command and fails unless the reply has one of the expected codes. */
  async expect(line: string, codes: readonly number[]): Promise<FtpReply> {
    const reply = await this.command(line);
    if (!codes.includes(reply.code)) {
      const shown = line.startsWith('PASS ') ? 'PASS ***' : line;
      throw new FtpProtocolError(`${shown}: ${reply.text}`);
    }
    return reply;
  }

  /** USER, then PASS when asked for (some servers log anonymous in on USER alone). */
  async login(credentials: Credentials): Promise<void> {
    const reply = await this.expect(`USER ${credentials.user}`, [230, 331]);
    if (reply.code === 331) await this.expect(`PASS ${credentials.password}`, [230]);
  }

  async quit(): Promise<void> {
    try {
      await this.expect('QUIT', [221]);
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Writes a line and does not wait for its reply (floods, ABOR behind a transfer). */
  send(line: string): void {
    if (!this.socket.destroyed) this.socket.write(`${line}\r\n`);
  }

  /** The raw socket, for abusers that stop reading or reset the connection. */
  get raw(): Socket {
    return this.socket;
  }

  private onText(text: string): void {
    this.partial += text;
    if (this.partial.length > MAX_PENDING_TEXT) {
      this.fail(new FtpProtocolError('reply too long'));
      this.socket.destroy();
      return;
    }
    let end = this.partial.indexOf('\n');
    while (end !== -1) {
      const line = this.partial.slice(0, end).replace(/\r$/, '');
      this.partial = this.partial.slice(end + 1);
      this.onLine(line);
      end = this.partial.indexOf('\n');
    }
  }

  private onLine(line: string): void {
    if (this.multiline) {
      this.multiline.lines.push(line);
      // RFC 959: a multi-line reply ends at the first line starting with the same code and a space.
      if (line.startsWith(`${this.multiline.code} `)) {
        const { code, lines } = this.multiline;
        this.multiline = undefined;
        this.deliver({ code: Number(code), text: lines.join('\n') });
      }
      return;
    }
    const match = /^(\d{3})([ -]|$)/.exec(line);
    if (!match?.[1]) {
      this.fail(new FtpProtocolError(`not a reply line: ${JSON.stringify(line.slice(0, 80))}`));
      return;
    }
    if (match[2] === '-') this.multiline = { code: match[1], lines: [line] };
    else this.deliver({ code: Number(match[1]), text: line });
  }

  private deliver(reply: FtpReply): void {
    // The waiter is taken at once: two replies in one packet must not both go to the same waiter.
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter.resolve(reply);
    else this.replies.push(reply);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }
}

/** EPSV, then a data connection to the announced port. */
export async function openPassiveData(
  control: ControlConnection,
  host: string,
  timeoutMs: number,
): Promise<Socket> {
  const reply = await control.expect('EPSV', [229]);
  const port = /\(([!-~])\1\1(\d+)\1\)/.exec(reply.text)?.[2];
  if (port === undefined) throw new FtpProtocolError(`EPSV: no port in ${reply.text}`);
  return connectSocket(host, Number(port), timeoutMs);
}

/** RETR over EPSV; resolves with the byte count once the data has ended and 226 has arrived. */
export async function retrieve(
  control: ControlConnection,
  host: string,
  path: string,
  timeoutMs: number,
): Promise<number> {
  const data = await openPassiveData(control, host, timeoutMs);
  let bytes = 0;
  // An object: the compiler cannot see the callback below assign a plain let.
  const progress = { ended: false };
  try {
    data.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const ended = once(data, 'end').then(() => {
      progress.ended = true;
    });
    // Settled either way below; this only stops an early failure from going unhandled.
    ended.catch(() => undefined);
    await control.expect(`RETR ${path}`, [125, 150]);
    const [done] = await withTimeout(
      Promise.all([control.next(`RETR ${path} (final reply)`), ended]),
      timeoutMs,
      `RETR ${path} (data)`,
    );
    if (done.code !== 226 && done.code !== 250) throw new FtpProtocolError(`RETR ${path}: ${done.text}`);
    return bytes;
  } catch (error) {
    // Where a stalled transfer stopped tells a server bug from a network one.
    const state = progress.ended ? `data complete, ${bytes} bytes` : `data not ended, ${bytes} bytes so far`;
    throw new FtpProtocolError(`${error instanceof Error ? error.message : String(error)} (${state})`);
  } finally {
    data.destroy();
  }
}
