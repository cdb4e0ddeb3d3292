// A scripted FTP server for client tests: it shows what ftpkitd never does (early or garbled
// replies, refused EPSV/EPRT, foreign PASV hosts, a 226 held back) and records every byte it gets.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TLSSocket, type SecureContext } from 'node:tls';
import { FtpClient } from '../../src/client/client.js';
import { FtpReplyError } from '../../src/client/errors.js';
import type { ConnectOptions, DataMode } from '../../src/client/options.js';
import {
  decodeEprt,
  decodeHostPort,
  encodeHostPort,
  formatEpsvReply,
  type HostPort,
} from '../../src/protocol/index.js';

export interface FakeCommand {
  /** Upper-case verb. */
  verb: string;
  /** Everything after the first space ('' when none). */
  arg: string;
  /** The line as received, without CRLF. */
  line: string;
}

export type FakeHandler = (session: FakeSession, command: FakeCommand) => void | Promise<void>;

export interface FakeServerOptions {
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Raw greeting bytes; default "220 fake ready". Empty: send none (the test writes it). */
  greeting?: string;
  /** Lines of the FEAT reply; default none (FEAT answered 211 with an empty list). */
  features?: readonly string[];
  /** Per upper-case verb, replacing the default behaviour. */
  handlers?: Record<string, FakeHandler>;
}

export class FakeSession {
  #socket: Socket;
  readonly server: FakeServer;
  /** Command lines received, in order, logged the moment they arrive. */
  readonly lines: string[] = [];
  /** Data bytes received by the default STOR/APPE handler, per transfer. */
  readonly uploads: Buffer[] = [];
  /** The target of the last EPRT/PORT. */
  activeTarget: HostPort | undefined;
  /** The data connection a passive listener accepted (or will accept). */
  #passive: Promise<Socket> | undefined;
  restOffset = 0;
  #buffer = '';
  // A UTF-8 character may be split across chunks.
  readonly #decoder = new StringDecoder('utf8');
  #work: Promise<void> = Promise.resolve();
  readonly #lineWaiters: { count: number; resolve: () => void }[] = [];

  constructor(server: FakeServer, socket: Socket) {
    this.server = server;
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    this.#read(socket);
  }

  /** The control connection: the TCP socket, or TLS over it once startTls() was called. */
  get socket(): Socket {
    return this.#socket;
  }

  /**
   * Turns the control connection into TLS, as the server, after a 234 to AUTH TLS written in clear
   * first; the next command line is read from TLS.
   */
  startTls(context: SecureContext): TLSSocket {
    const secure = new TLSSocket(this.#socket, { isServer: true, secureContext: context });
    secure.on('error', () => undefined);
    this.server.track(secure);
    this.#socket = secure;
    this.#read(secure);
    return secure;
  }

  #read(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.#socket) return;
      this.#buffer += this.#decoder.write(chunk);
      let end = this.#buffer.indexOf('\r\n');
      while (end !== -1) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        this.lines.push(line);
        this.server.log.push(`C: ${line}`);
        for (const waiter of this.#lineWaiters.filter((w) => this.lines.length >= w.count)) {
          this.#lineWaiters.splice(this.#lineWaiters.indexOf(waiter), 1);
          waiter.resolve();
        }
        // One command at a time, as a simple server would; lines are logged on arrival all the same.
        this.#work = this.#work.then(() => this.#dispatch(line));
        end = this.#buffer.indexOf('\r\n');
      }
    });
  }

  /** Resolves once `count` command lines have arrived in total. */
  waitForLines(count: number): Promise<void> {
    if (this.lines.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#lineWaiters.push({ count, resolve }));
  }

  /** Writes one reply line (or several joined by CRLF), CRLF added. */
  reply(text: string): void {
    this.server.log.push(`S: ${text}`);
    if (!this.socket.destroyed) this.socket.write(`${text}\r\n`);
  }

  /** Writes raw bytes, nothing added. */
  write(bytes: string | Buffer): void {
    this.server.log.push(`S: ${JSON.stringify(bytes.toString())}`);
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Listens for one data connection on `host` (the server's own address by default). */
  async listenData(host = this.server.host): Promise<number> {
    const listener = createServer();
    this.server.track(listener);
    listener.listen(0, host);
    await once(listener, 'listening');
    this.#passive = new Promise<Socket>((resolve) => {
      listener.once('connection', (socket: Socket) => {
        this.server.track(socket);
        // The client resets data connections it gives up on; that is no failure of the fake.
        socket.on('error', () => undefined);
        listener.close();
        resolve(socket);
      });
    });
    return (listener.address() as { port: number }).port;
  }

  /** Connects to the last EPRT/PORT target, from `localAddress` if given. */
  async connectActive(localAddress?: string): Promise<Socket> {
    const target = this.activeTarget;
    if (target === undefined) throw new Error('no EPRT/PORT target');
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    this.server.track(socket);
    await once(socket, 'connect');
    socket.on('error', () => undefined);
    return socket;
  }

  /** The data connection for the transfer under way, in whichever mode the client chose. */
  dataSocket(): Promise<Socket> {
    const passive = this.#passive;
    this.#passive = undefined;
    if (passive !== undefined) return passive;
    return this.connectActive();
  }

  async #dispatch(line: string): Promise<void> {
    const space = line.indexOf(' ');
    const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const arg = space === -1 ? '' : line.slice(space + 1);
    const handler = this.server.handlers[verb] ?? defaultHandlers[verb];
    try {
      if (handler === undefined) this.reply('502 Not implemented.');
      else await handler(this, { verb, arg, line });
    } catch (error) {
      this.server.errors.push(error instanceof Error ? error : new Error(String(error)));
      this.reply('451 Fake server failed.');
    }
  }
}

export class FakeServer {
  readonly host: string;
  readonly port: number;
  readonly handlers: Record<string, FakeHandler>;
  readonly features: readonly string[];
  /** Remote files for the default RETR/SIZE/STOR handlers. */
  readonly files = new Map<string, Buffer>();
  /** Text the default LIST/MLSD handlers send. */
  listing = '';
  readonly sessions: FakeSession[] = [];
  /** Both directions of every session, in order: "C: NOOP", "S: 200 Ok.". */
  readonly log: string[] = [];
  /** Handler failures (each also answered with 451). */
  readonly errors: Error[] = [];
  readonly #server: Server;
  readonly #open = new Set<Socket | Server>();
  readonly #sessionWaiters: (() => void)[] = [];

  private constructor(server: Server, options: FakeServerOptions) {
    this.#server = server;
    const address = server.address() as { address: string; port: number };
    this.host = address.address;
    this.port = address.port;
    this.handlers = { ...options.handlers };
    this.features = options.features ?? [];
    const greeting = options.greeting ?? '220 fake ready\r\n';
    server.on('connection', (socket: Socket) => {
      this.track(socket);
      const session = new FakeSession(this, socket);
      this.sessions.push(session);
      if (greeting !== '') session.write(greeting);
      for (const waiter of this.#sessionWaiters.splice(0)) waiter();
    });
  }

  static async start(options: FakeServerOptions = {}): Promise<FakeServer> {
    const server = createServer();
    server.listen(0, options.host ?? '127.0.0.1');
    await once(server, 'listening');
    return new FakeServer(server, options);
  }

  /** Keeps a socket or listener to be closed with the server. */
  track(item: Socket | Server): void {
    this.#open.add(item);
    item.once('close', () => this.#open.delete(item));
  }

  /** The n-th session (0-based), waiting for it to connect. */
  async session(index = 0): Promise<FakeSession> {
    while (this.sessions.length <= index) {
      await new Promise<void>((resolve) => this.#sessionWaiters.push(resolve));
    }
    return this.sessions[index]!;
  }

  /** Every command line received, all sessions, in order. */
  get lines(): string[] {
    return this.log.filter((entry) => entry.startsWith('C: ')).map((entry) => entry.slice(3));
  }

  async close(): Promise<void> {
    const closing = [once(this.#server, 'close'), ...[...this.#open].map((item) => once(item, 'close'))];
    this.#server.close();
    for (const item of this.#open) {
      if ('destroy' in item) item.destroy();
      else item.close();
    }
    await Promise.all(closing);
  }
}

/** `error` as an FtpReplyError, failing the test if it is something else. */
/**
 * Handlers of a server whose passive replies name another host, as one behind NAT or a balancer
 * gives: EPSV refused (so that the client falls back to PASV), and PASV naming `host`, where the
 * data connection is listened for.
 */
export function pasvNaming(host: string): Record<string, FakeHandler> {
  return {
    EPSV: (session) => session.reply('500 EPSV not understood.'),
    PASV: async (session) => {
      const port = await session.listenData(host);
      session.reply(`227 Entering Passive Mode (${encodeHostPort({ host, port })}).`);
    },
  };
}

export function asReplyError(error: unknown): FtpReplyError {
  if (!(error instanceof FtpReplyError)) throw new Error(`expected an FtpReplyError, got ${String(error)}`);
  return error;
}

/** A Writable that keeps what it is given, for downloads into memory. */
export function collectInto(): { stream: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

/** A client logged in to the fake server in `mode`, with a short data timeout unless overridden. */
export function connectTo(
  fake: FakeServer,
  mode: DataMode,
  options: Partial<ConnectOptions> = {},
): Promise<FtpClient> {
  return FtpClient.connect({
    host: fake.host,
    port: fake.port,
    user: 'u',
    password: 'p',
    mode,
    dataTimeoutMs: 2000,
    ...options,
  });
}

/** Downloads a remote file into memory. */
export async function downloadBytes(client: FtpClient, path = 'f'): Promise<Buffer> {
  const sink = collectInto();
  await client.download(path, sink.stream);
  return sink.bytes();
}

/** Reads a data socket to its end. */
export async function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Ends a data socket after `bytes` and waits until it has fully closed. */
export async function sendAndClose(socket: Socket, bytes: Buffer | string): Promise<void> {
  const closed = once(socket, 'close');
  socket.on('error', () => undefined);
  socket.end(bytes);
  // The peer may never read; the client closing its side ends the wait as well.
  socket.resume();
  await closed;
}

async function download(session: FakeSession, command: FakeCommand): Promise<void> {
  const file = session.server.files.get(command.arg);
  if (file === undefined) {
    session.reply('550 No such file.');
    return;
  }
  const offset = session.restOffset;
  session.restOffset = 0;
  session.reply(`150 Opening BINARY mode data connection for ${command.arg} (${file.length} bytes).`);
  const socket = await session.dataSocket();
  await sendAndClose(socket, file.subarray(offset));
  session.reply('226 Transfer complete.');
}

async function upload(session: FakeSession, command: FakeCommand): Promise<void> {
  session.reply('150 Ok to send data.');
  const socket = await session.dataSocket();
  const bytes = await readAll(socket);
  session.uploads.push(bytes);
  const before =
    command.verb === 'APPE' ? (session.server.files.get(command.arg) ?? Buffer.alloc(0)) : undefined;
  session.server.files.set(command.arg, before === undefined ? bytes : Buffer.concat([before, bytes]));
  session.reply('226 Transfer complete.');
}

async function listing(session: FakeSession): Promise<void> {
  session.reply('150 Here comes the listing.');
  const socket = await session.dataSocket();
  await sendAndClose(socket, session.server.listing);
  session.reply('226 Listing sent.');
}

/** What a plain, cooperative server says; tests replace single verbs with their own script. */
export const defaultHandlers: Record<string, FakeHandler> = {
  USER: (s) => s.reply('331 Password please.'),
  PASS: (s) => s.reply('230 Logged in.'),
  FEAT: (s) => {
    if (s.server.features.length === 0) s.reply('211 No features.');
    else s.reply(['211-Features:', ...s.server.features.map((f) => ` ${f}`), '211 End'].join('\r\n'));
  },
  OPTS: (s) => s.reply('200 Ok.'),
  TYPE: (s) => s.reply('200 Type set.'),
  NOOP: (s) => s.reply('200 Ok.'),
  PWD: (s) => s.reply('257 "/" is the current directory.'),
  CWD: (s) => s.reply('250 Ok.'),
  QUIT: (s) => {
    s.reply('221 Bye.');
    s.socket.end();
  },
  REST: (s, c) => {
    s.restOffset = Number(c.arg);
    s.reply(`350 Restarting at ${c.arg}.`);
  },
  SIZE: (s, c) => {
    const file = s.server.files.get(c.arg);
    s.reply(file === undefined ? '550 No such file.' : `213 ${file.length}`);
  },
  EPSV: async (s) => {
    const port = await s.listenData();
    s.reply(`229 ${formatEpsvReply(port)}`);
  },
  PASV: async (s) => {
    const port = await s.listenData();
    s.reply(`227 Entering Passive Mode (${encodeHostPort({ host: s.server.host, port })}).`);
  },
  EPRT: (s, c) => {
    s.activeTarget = decodeEprt(c.arg);
    s.reply('200 EPRT ok.');
  },
  PORT: (s, c) => {
    s.activeTarget = decodeHostPort(c.arg);
    s.reply('200 PORT ok.');
  },
  RETR: download,
  STOR: upload,
  APPE: upload,
  LIST: listing,
  MLSD: listing,
};
