import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { normalizeAddress, formatReply, Reply } from '../protocol/index.js';
import type { Account, Authenticator } from './auth/account.js';
import { LoginGuard } from './auth/login-guard.js';
import { scryptSlots } from './auth/password-hash.js';
import { systemClock, type Clock } from './clock.js';
import { createRegistry } from './commands/index.js';
import type { ServerServices } from './commands/context.js';
import type { CommandRegistry } from './commands/registry.js';
import type { FileSystem } from './fs/file-system.js';
import type { MetricsEndpoint } from './observe/metrics-endpoint.js';
import { Observers, type RefusalReason, type ServerObserver } from './observe/observer.js';
import { XferLog } from './observe/xferlog.js';
import { LocalFileSystem } from './fs/local.js';
import type { ServerOptions } from './options.js';
import type { ProxyHeader } from './proxy/header.js';
import { readProxyHeader } from './proxy/reader.js';
import { TrustedProxies } from './proxy/trusted.js';
import { Session } from './session.js';
import type { TlsCredentials } from './tls/credentials.js';
import { ticketRenewalAvailable } from './tls/ticket-renewal.js';
import { applyServerV8Settings } from './v8-settings.js';

export interface FtpServerInit {
  options: ServerOptions;
  authenticator: Authenticator;
  logger: Logger;
  /** Whether USER anonymous gets the anonymous prompt (the authenticator decides who gets in). */
  anonymousEnabled?: boolean;
  /** Storage per account; the default serves the account's home from local disk. */
  createFileSystem?: (account: Account) => Promise<FileSystem>;
  /** Told of sessions, logins, bans, replies and transfers, beside the metrics and xferlog. */
  observers?: ServerObserver[];
  /** What sessions time their idleness with; the system clock unless a test moves its own. */
  clock?: Clock;
  /** Certificate and key for FTPS (see loadTlsCredentials); without them AUTH TLS is refused. */
  tls?: TlsCredentials;
  /**
   * Whether to apply the V8 settings ftpkitd's figures are measured with (a young generation that
   * does not grow, an earlier optimizing budget; see docs/performance.md). They are process-wide,
   * so a program that runs more than the FTP server may turn them off. Default true; flags the
   * process was started with win either way.
   */
  v8Settings?: boolean;
}

/** How long a client cut at shutdown gets to take its last replies before its socket goes. */
const CUT_GRACE_MS = 1000;

/**
 * Listens for control connections, enforces connection limits (421 before the greeting) and
 * shuts down gracefully. Everything per connection lives in its Session.
 */
export class FtpServer implements ServerServices {
  readonly options: ServerOptions;
  readonly authenticator: Authenticator;
  readonly loginGuard: LoginGuard;
  readonly registry: CommandRegistry = createRegistry();
  readonly anonymousEnabled: boolean;
  readonly log: Logger;
  readonly observers: Observers;
  readonly clock: Clock;
  private readonly server: Server;
  /** Implicit FTPS (implicitTlsPort), when asked for and a certificate is there. */
  private implicitServer: Server | undefined;
  private readonly sessions = new Set<Session>();
  private readonly perIp = new Map<string, number>();
  /** Whose PROXY headers are read (control and passive data connections), when proxyProtocol is on. */
  readonly trustedProxies: TrustedProxies | undefined;
  /** Connections from a trusted proxy whose header has not come yet: they hold no session. */
  private readonly awaitingHeader = new Set<Socket>();
  private readonly fileSystemFactory: (account: Account) => Promise<FileSystem>;
  private nextId = 0;
  private closing: Promise<void> | undefined;
  private xferlog: XferLog | undefined;
  private metricsEndpoint: MetricsEndpoint | undefined;
  private hurry: (() => void) | undefined;
  private tls: TlsCredentials | undefined;

  constructor(init: FtpServerInit) {
    if (init.v8Settings ?? true) applyServerV8Settings();
    this.options = init.options;
    this.authenticator = init.authenticator;
    this.log = init.logger;
    this.anonymousEnabled = init.anonymousEnabled ?? false;
    this.clock = init.clock ?? systemClock;
    this.tls = init.tls;
    this.observers = new Observers((err) => {
      this.log.error({ err: (err as Error).message }, 'an observer failed; it keeps being called');
    });
    for (const observer of init.observers ?? []) this.observers.add(observer);
    this.loginGuard = new LoginGuard({
      baseDelayMs: this.options.failedLoginDelayMs,
      maxDelayMs: 10_000,
      banAfter: this.options.banAfter,
      banMs: this.options.banTimeMs,
      onBan: (scope, key, ms) => {
        this.log.warn({ scope, [scope === 'address' ? 'ip' : 'user']: key, seconds: ms / 1000 }, 'ban');
        this.observers.banned(scope);
      },
    });
    // One queue per process: the memory it bounds is the process's.
    scryptSlots.limit = this.options.maxHashChecks;
    if (this.options.proxyProtocol) {
      this.trustedProxies = new TrustedProxies(this.options.trustedProxies ?? []);
      if (this.trustedProxies.size === 0) throw new Error('proxyProtocol needs trustedProxies');
    }
    this.fileSystemFactory = init.createFileSystem ?? ((account) => LocalFileSystem.create(account.home));
    this.server = createServer({ noDelay: true }, (socket) => {
      this.accept(socket, false);
    });
  }

  tlsCredentials(): TlsCredentials | undefined {
    return this.tls;
  }

  /** A renewed certificate: sessions that do AUTH TLS from now on get it; running ones keep theirs. */
  setTlsCredentials(credentials: TlsCredentials): void {
    this.tls = credentials;
  }

  createFileSystem(account: Account): Promise<FileSystem> {
    return this.fileSystemFactory(account);
  }

  /**
   * Opens the xferlog and the metrics endpoint when asked for, then listens for FTP, and for
   * implicit FTPS when implicitTlsPort is set.
   */
  async listen(): Promise<AddressInfo> {
    try {
      await this.openOperations();
      await listenOn(this.server, this.options.host, this.options.port);
      const { implicitTlsPort } = this.options;
      if (implicitTlsPort !== undefined) {
        if (this.tls === undefined) throw new Error('implicitTlsPort needs a TLS certificate');
        this.implicitServer = createServer({ noDelay: true }, (socket) => {
          this.accept(socket, true);
        });
        await listenOn(this.implicitServer, this.options.host, implicitTlsPort);
      }
    } catch (err) {
      this.server.close();
      this.implicitServer?.close();
      await this.closeOperations();
      throw err;
    }
    // Errors while listening reject listen(); later ones (EMFILE on accept) are logged.
    for (const server of [this.server, this.implicitServer]) {
      server?.on('error', (err: NodeJS.ErrnoException) =>
        this.log.error({ err: err.message, code: err.code }, 'server error'),
      );
    }
    const address = this.address();
    const implicitTlsPort = this.implicitTlsAddress()?.port;
    this.log.info({ host: address.address, port: address.port, implicitTlsPort }, 'listening');
    if (this.tls !== undefined && !ticketRenewalAvailable()) {
      this.log.warn(
        'this Node.js cannot renew TLS session tickets: a client that uses a ticket once (curl) gets 522 from its second transfer on unless tls-session-reuse is optional',
      );
    }
    return address;
  }

  private async openOperations(): Promise<void> {
    const { xferlog, metrics } = this.options;
    if (xferlog !== undefined) {
      this.xferlog = await XferLog.open(xferlog, (message) => this.log.error(message));
      this.observers.add(this.xferlog);
    }
    if (metrics !== undefined) {
      // prom-client is loaded only by servers that serve metrics.
      const [{ PrometheusMetrics }, { MetricsEndpoint }] = await Promise.all([
        import('./observe/metrics.js'),
        import('./observe/metrics-endpoint.js'),
      ]);
      const figures = new PrometheusMetrics();
      this.metricsEndpoint = await MetricsEndpoint.listen(figures, metrics);
      this.observers.add(figures);
      const at = this.metricsEndpoint.address();
      this.log.info({ host: at.address, port: at.port }, 'metrics listening');
    }
  }

  private async closeOperations(): Promise<void> {
    await Promise.all([this.metricsEndpoint?.close(), this.xferlog?.close()]);
  }

  /** Where GET /metrics is served, when it is. */
  metricsAddress(): AddressInfo | undefined {
    return this.metricsEndpoint?.address();
  }

  /** After log rotation (SIGHUP): the xferlog goes on in a new file of the same name. */
  async reopenLogs(): Promise<void> {
    await this.xferlog?.reopen();
  }

  address(): AddressInfo {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('Server is not listening');
    return address;
  }

  /** Where implicit FTPS is served, when it is. */
  implicitTlsAddress(): AddressInfo | undefined {
    const address = this.implicitServer?.address();
    return address === null || typeof address === 'string' ? undefined : address;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Transfers running now, across sessions. */
  get transferCount(): number {
    let count = 0;
    for (const session of this.sessions) if (session.isTransferring) count++;
    return count;
  }

  private accept(socket: Socket, implicitTls: boolean): void {
    const peer = normalizeAddress(socket.remoteAddress ?? '');
    if (this.closing || peer === '') {
      this.refuse(socket, implicitTls, 'shutting-down', 'Server shutting down.');
      return;
    }
    if (this.trustedProxies?.has(peer) !== true) {
      this.admit(socket, implicitTls, peer);
      return;
    }
    // Behind a load balancer the header comes first, the greeting waits for it, and the limits
    // count the client it names. A connection waiting for its header holds a connection slot.
    if (this.awaitingHeader.size + this.sessions.size >= this.options.maxConnections) {
      this.refuse(socket, implicitTls, 'max-connections', 'Too many connections; try again later.');
      return;
    }
    this.awaitingHeader.add(socket);
    readProxyHeader(socket, this.options.loginTimeoutMs).then(
      (header) => {
        this.awaitingHeader.delete(socket);
        this.admitProxied(socket, implicitTls, peer, header);
      },
      (err: unknown) => {
        this.awaitingHeader.delete(socket);
        // A balancer's TCP health check connects and closes without a byte: not worth a warning.
        this.log[socket.bytesRead === 0 ? 'debug' : 'warn'](
          { proxy: peer, reason: (err as Error).message },
          'PROXY header refused; connection closed',
        );
        socket.on('error', () => undefined);
        socket.destroy();
      },
    );
  }

  private admitProxied(socket: Socket, implicitTls: boolean, proxy: string, header: ProxyHeader): void {
    const client = header.source?.address ?? proxy;
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ proxy, ip: client, version: header.version }, 'PROXY header read');
    }
    // Gone while its header was read (the reader resolved, the close came behind the header).
    if (socket.destroyed) return;
    if (this.closing) {
      this.refuse(socket, implicitTls, 'shutting-down', 'Server shutting down.');
      return;
    }
    const session = this.admit(socket, implicitTls, client);
    // readProxyHeader left the socket paused with the bytes behind the header put back: the
    // session reads them now (a TLS socket reads the buffered handshake bytes itself).
    if (session !== undefined && !implicitTls) socket.resume();
  }

  /** Applies the connection limits to a client and, within them, starts its session. */
  private admit(socket: Socket, implicitTls: boolean, ip: string): Session | undefined {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.sessions.size >= this.options.maxConnections) {
      this.refuse(socket, implicitTls, 'max-connections', 'Too many connections; try again later.');
      return undefined;
    }
    if (fromIp >= this.options.maxConnectionsPerIp) {
      this.refuse(
        socket,
        implicitTls,
        'max-per-ip',
        'Too many connections from your address; try again later.',
      );
      return undefined;
    }
    // Connections that have not logged in cost nothing to open: they get a share of the slots only.
    let waiting = 0;
    for (const session of this.sessions) if (!session.isLoggedIn) waiting++;
    if (waiting >= this.options.maxUnauthenticated) {
      this.refuse(
        socket,
        implicitTls,
        'max-unauthenticated',
        'Too many connections waiting to log in; try again later.',
      );
      return undefined;
    }
    this.perIp.set(ip, fromIp + 1);
    const session = new Session(socket, ip, this, (++this.nextId).toString(36), this.log, (s) => {
      this.sessions.delete(s);
      this.observers.sessionClosed();
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    });
    this.sessions.add(session);
    this.observers.sessionOpened();
    if (implicitTls) session.greetOverTls();
    else session.greet();
    return session;
  }

  private refuse(socket: Socket, implicitTls: boolean, reason: RefusalReason, text: string): void {
    this.observers.connectionRefused(reason);
    socket.on('error', () => undefined);
    // A 421 in clear means nothing to a client that starts with a TLS handshake.
    if (implicitTls) {
      socket.destroy();
      return;
    }
    socket.end(formatReply(Reply.ServiceNotAvailable, text));
    socket.setTimeout(5000, () => socket.destroy());
  }

  /**
   * Stops accepting, closes idle sessions with 421, lets running transfers finish until the
   * deadline, then cuts what is left.
   */
  close(deadlineMs = this.options.shutdownTimeoutMs): Promise<void> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  /**
   * During close(): ends the wait for running transfers now. They are aborted and cleaned up as at
   * the deadline (426, no partial file left), so a hurried stop still loses nothing.
   */
  stopNow(): Promise<void> {
    const closing = this.close(0);
    this.hurry?.();
    return closing;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    this.log.info(
      { sessions: this.sessions.size, transfers: this.transferCount, graceSeconds: deadlineMs / 1000 },
      'shutting down',
    );
    const stopped = Promise.all(
      [this.server, this.implicitServer].map(
        (server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
      ),
    );
    // Nobody has been greeted on these yet: nothing to finish.
    for (const socket of this.awaitingHeader) socket.destroy();
    const drained = Promise.all(
      [...this.sessions].map(async (session) => {
        await session.transferDone();
        session.shutdown();
        await session.whenClosed();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
      this.hurry = resolve;
    });
    await Promise.race([drained, deadline]);
    clearTimeout(timer);
    // Past the deadline: the transfers left are aborted and cleaned up, and their clients told,
    // before the process may exit; a client that does not read is cut after a moment.
    await Promise.all([...this.sessions].map((session) => session.cut()));
    const closed = Promise.all([...this.sessions].map((session) => session.whenClosed()));
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (grace = setTimeout(resolve, CUT_GRACE_MS)))]);
    clearTimeout(grace);
    for (const session of this.sessions) session.destroy();
    await stopped;
    await this.closeOperations();
    this.log.info('stopped');
  }
}

async function listenOn(server: Server, host: string, port: number): Promise<void> {
  server.listen({ host, port, backlog: 1024 });
  await once(server, 'listening');
}
