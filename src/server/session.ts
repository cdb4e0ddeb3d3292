import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import {
  CommandDecoder,
  type DecodedLine,
  parseCommandLine,
  type Command,
  normalizeAddress,
  FtpError,
  resolvePath,
  Reply,
  formatReply,
  SUPPORTED_FACTS,
} from '../protocol/index.js';
import type {
  CommandContext,
  RunningTransfer,
  ServerServices,
  SessionState,
  TransferJob,
} from './commands/context.js';
import type { DataChannel } from './data/channel.js';
import { createPassiveChannel, isPassiveChannel, type PassiveChannel } from './data/passive.js';
import { PassiveReuse } from './data/passive-reuse.js';
import { tlsRequired } from './commands/auth.js';
import { looksLikeProxyHeader } from './proxy/header.js';
import type { FileSystem } from './fs/file-system.js';
import { createSessionContext } from './tls/credentials.js';
import { wrapDataSocket } from './tls/data-socket.js';
import { TransferRunner, type DataProtection, type TransferHost } from './transfer/runner.js';

/**
 * Lines waiting while a command or a transfer runs, by count and by size; past either the socket
 * is paused, so a flood stays bounded. Room enough that an ABOR behind the commands a client
 * pipelines during a transfer is still read.
 */
const MAX_QUEUED_LINES = 1024;
const MAX_QUEUED_BYTES = 64 * 1024;
/** Pending reply bytes past which we stop reading from a client that does not read its replies. */
const MAX_PENDING_REPLY_BYTES = 64 * 1024;

/**
 * The state after login, or after REIN. Implicit FTPS protects data connections from the start,
 * as vsftpd and FileZilla Server do there (RFC 4217 covers explicit FTPS only); PBSZ and PROT
 * are still taken.
 */
function freshState(implicitTls = false): SessionState {
  return {
    pendingUser: undefined,
    account: undefined,
    fs: undefined,
    cwd: '/',
    type: 'A',
    restOffset: 0,
    renameFrom: undefined,
    epsvAll: false,
    mlstFacts: new Set(SUPPORTED_FACTS),
    loginFailures: 0,
    pbsz: implicitTls,
    protection: implicitTls ? 'P' : 'C',
  };
}

/**
 * One control connection. Reads lines in order and runs one command at a time, except that ABOR,
 * STAT and QUIT are answered at once while a transfer runs, so the control channel stays live.
 */
export class Session implements CommandContext, TransferHost {
  state: SessionState = freshState();
  readonly peerAddress: string;
  readonly localAddress: string;
  private decoder = new CommandDecoder();
  private readonly queue: DecodedLine[] = [];
  /** The text held in `queue`, in characters. */
  private queuedBytes = 0;
  private draining = false;
  /** When the client last sent anything, or a transfer ended: idleness counts from here. */
  private lastActive: number;
  private cancelIdleTimer = (): void => undefined;
  private loginTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Made on first use (a PASS waiting for its hash check): most sessions never need one. */
  private endController: AbortController | undefined;
  /** Whether the client has sent anything yet: a PROXY header can only come first. */
  private heardFrom = false;
  private dataChannel: DataChannel | undefined;
  /** Made on the first PASV/EPSV: most sessions never need one. */
  private passiveReuse: PassiveReuse | undefined;
  /** Made on the first transfer: most idle sessions never need one. */
  private runner: TransferRunner | undefined;
  private logger: Logger | undefined;
  private readonly onClose: (session: Session) => void;
  /** Made at AUTH TLS: the control connection's and its data connections' (see createSessionContext). */
  private secureContext: SecureContext | undefined;
  /** Came in on the implicit FTPS port: TLS from the first byte. */
  private implicitTls = false;
  private socket: Socket;
  private readonly listeners = {
    data: (chunk: Buffer): void => {
      this.onData(chunk);
    },
    error: (err: Error): void => {
      this.log.debug({ err: err.message }, 'control connection error');
    },
    close: (): void => {
      this.teardown();
    },
  };

  /**
   * `peerAddress`: the client's address, the socket's own or, behind a load balancer, the one its
   * PROXY header named; logs, limits and the data connection checks all use it.
   */
  constructor(
    socket: Socket,
    peerAddress: string,
    readonly services: ServerServices,
    private readonly id: string,
    private readonly parentLog: Logger,
    onClose: (session: Session) => void,
  ) {
    this.peerAddress = peerAddress;
    this.localAddress = normalizeAddress(socket.localAddress ?? '');
    this.onClose = onClose;
    this.socket = socket;
    socket.setNoDelay(true);
    this.lastActive = services.clock.now();
    this.armIdleTimer(services.options.idleTimeoutMs);
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    socket
      .on('data', this.listeners.data)
      .on('error', this.listeners.error)
      .on('close', this.listeners.close);
  }

  get tlsActive(): boolean {
    return this.secureContext !== undefined;
  }

  /**
   * Continues the control connection over TLS, as the server's side; the 234 has been written in
   * clear before. Lines the client sent behind AUTH TLS are dropped, not run: in clear, anyone on
   * the path could have put them there (the STARTTLS command injection).
   */
  startTls(): void {
    const credentials = this.services.tlsCredentials();
    if (credentials === undefined) throw new FtpError(Reply.NotImplemented, 'TLS is not configured.');
    const context = createSessionContext(credentials);
    const raw = this.socket;
    raw
      .off('data', this.listeners.data)
      .off('error', this.listeners.error)
      .off('close', this.listeners.close);
    // The raw socket's errors surface on the TLS socket; this one only keeps them from throwing.
    raw.on('error', () => undefined);
    // The raw socket may be paused for a client that had not read its replies: that no longer
    // matters, as the TLS socket reads the TCP handle itself, and Node sends the TLS bytes after
    // the replies still queued on the raw socket (the 234 among them).
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.decoder = new CommandDecoder();
    this.secureContext = context;
    this.socket = new TLSSocket(raw, { isServer: true, secureContext: context });
    this.attach(this.socket);
  }

  /**
   * Implicit FTPS: the handshake first, then the greeting. Plaintext or garbage fails the handshake
   * and the socket closes at once; a client that sends nothing is cut at the login timeout.
   */
  greetOverTls(): void {
    this.implicitTls = true;
    this.state = freshState(true);
    this.startTls();
    this.loginTimer = setTimeout(() => {
      this.socket.destroy();
    }, this.services.options.loginTimeoutMs);
    this.loginTimer.unref();
    this.socket.once('secure', () => {
      this.greet();
    });
  }

  dataProtection(): DataProtection | undefined {
    if (this.state.protection !== 'P' || this.secureContext === undefined) return undefined;
    return {
      context: this.secureContext,
      reuseRequired: this.services.options.tlsSessionReuse === 'required',
    };
  }

  /** Created on first use: most idle sessions never log, and a child logger costs memory. */
  get log(): Logger {
    this.logger ??= this.parentLog.child({ sid: this.id, ip: this.peerAddress });
    return this.logger;
  }

  get transfer(): RunningTransfer | undefined {
    return this.runner?.current;
  }

  get isTransferring(): boolean {
    return this.runner?.current !== undefined;
  }

  get isLoggedIn(): boolean {
    return this.state.account !== undefined;
  }

  greet(): void {
    this.reply(Reply.ServiceReady, 'ftpkitd ready.');
    this.armLoginTimer();
  }

  /** A connection that does not log in in time is closed: it holds a slot for nothing. */
  private armLoginTimer(): void {
    clearTimeout(this.loginTimer);
    this.loginTimer = setTimeout(() => {
      if (this.closed || this.isLoggedIn) return;
      this.reply(Reply.ServiceNotAvailable, 'Login timeout; closing control connection.');
      this.close();
    }, this.services.options.loginTimeoutMs);
    this.loginTimer.unref();
  }

  reply(code: number, text: string | readonly string[]): void {
    this.services.observers.reply(code);
    this.send(formatReply(code, text));
  }

  replyPair(code: number, text: string, nextCode: number, nextText: string): void {
    this.services.observers.reply(code);
    this.services.observers.reply(nextCode);
    this.send(formatReply(code, text) + formatReply(nextCode, nextText));
  }

  private send(wire: string): void {
    if (this.closed || this.socket.destroyed) return;
    if (this.parentLog.isLevelEnabled('debug')) this.log.debug({ reply: wire.trimEnd() }, 'reply');
    this.socket.write(wire);
  }

  resolve(arg: string): string {
    return resolvePath(this.state.cwd, arg);
  }

  files(): FileSystem {
    if (!this.state.fs) throw new FtpError(Reply.NotLoggedIn, 'Please login with USER and PASS.');
    return this.state.fs;
  }

  setDataChannel(channel: DataChannel | undefined): void {
    this.dataChannel?.close();
    this.dataChannel = channel;
    if (channel?.mode === 'active') this.passiveReuse?.clear();
    const protection = this.dataProtection();
    if (protection !== undefined && channel !== undefined && isPassiveChannel(channel)) {
      channel.wrapOnAccept((socket) => wrapDataSocket(socket, protection.context));
    }
  }

  openPassive(): PassiveChannel | Promise<PassiveChannel> {
    this.passiveReuse ??= new PassiveReuse(() => {
      const { pasvRange, dataTimeoutMs } = this.services.options;
      return createPassiveChannel({
        bindAddress: this.localAddress,
        ...(pasvRange ? { portRange: pasvRange } : {}),
        allowedPeer: this.peerAddress,
        timeoutMs: dataTimeoutMs,
        // Not with a port range: idle sessions would hold ports that others may need.
        reusable: pasvRange === undefined,
        ...(this.services.trustedProxies ? { trustedProxies: this.services.trustedProxies } : {}),
        onRefused: (remote, via) => {
          if (via?.reason !== undefined) {
            this.log.warn(
              { proxy: via.proxy, reason: via.reason },
              'passive data connection from a trusted proxy without a valid PROXY header refused',
            );
            return;
          }
          this.log.warn(
            { remote, proxy: via?.proxy },
            'passive data connection from a foreign address refused',
          );
        },
      });
    });
    return this.passiveReuse.take();
  }

  hasDataChannel(): boolean {
    return this.dataChannel !== undefined;
  }

  /** Ends the session politely: what was written is flushed, then the socket closes. */
  /** Aborted when the session ends (closed, timed out or the client gone). */
  get ended(): AbortSignal {
    this.endController ??= new AbortController();
    if (this.closed) this.endSignal();
    return this.endController.signal;
  }

  private endSignal(): void {
    this.endController?.abort(new FtpError(Reply.ServiceNotAvailable, 'Session ended.'));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.endSignal();
    this.cancelIdleTimer();
    clearTimeout(this.loginTimer);
    this.socket.end();
    // A peer that never reads must not keep the socket alive.
    this.socket.setTimeout(5000, () => this.socket.destroy());
  }

  /** Server shutdown: say why, then close (a running transfer is left to finish by the caller). */
  shutdown(): void {
    this.reply(Reply.ServiceNotAvailable, 'Server shutting down.');
    this.close();
  }

  /**
   * Server shutdown past its deadline: a running transfer is aborted (426 to the client, an
   * upload's temporary file discarded, the transfer logged), then 421 and close.
   */
  async cut(): Promise<void> {
    await this.abortTransfer();
    if (!this.closed) this.shutdown();
  }

  transferDone(): Promise<void> {
    return this.runner?.done() ?? Promise.resolve();
  }

  whenClosed(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  destroy(): void {
    this.socket.destroy();
  }

  reinitialize(): void {
    this.setDataChannel(undefined);
    this.passiveReuse?.clear();
    this.state = freshState(this.implicitTls);
    this.armLoginTimer();
  }

  startTransfer(job: TransferJob): void {
    const channel = this.dataChannel;
    this.dataChannel = undefined;
    this.state.restOffset = 0;
    if (!channel) throw new FtpError(Reply.CantOpenData, 'Use PORT, EPRT, PASV or EPSV first.');
    this.runner ??= new TransferRunner(this);
    this.runner.start(job, channel);
  }

  abortTransfer(): Promise<boolean> {
    return this.runner?.abort() ?? Promise.resolve(false);
  }

  transferEnded(): void {
    this.lastActive = this.services.clock.now();
    this.kick();
  }

  logsInfo(): boolean {
    return this.parentLog.isLevelEnabled('info');
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (!this.heardFrom) {
      this.heardFrom = true;
      // A trusted proxy's header was read before the session began; this one is not believed. The
      // 421 names the option, for the balancer left out of it.
      if (looksLikeProxyHeader(chunk)) {
        this.log.warn('PROXY header from an address not trusted to send one; connection closed');
        this.reply(
          Reply.ServiceNotAvailable,
          'PROXY header from an address not trusted to send one (--proxy-protocol, --trusted-proxies).',
        );
        this.close();
        return;
      }
    }
    this.lastActive = this.services.clock.now();
    for (const line of this.decoder.push(chunk)) {
      this.queue.push(line);
      this.queuedBytes += lineSize(line);
    }
    this.limitReading();
    this.kick();
  }

  /**
   * Stops reading while too many lines wait, or too many reply bytes wait for a client that does
   * not read them: whatever a client sends, what the session holds for it stays bounded.
   */
  private limitReading(): void {
    if (this.closed || this.socket.isPaused()) return;
    const backlog = this.socket.writableLength > MAX_PENDING_REPLY_BYTES;
    if (!backlog && this.queue.length <= MAX_QUEUED_LINES && this.queuedBytes <= MAX_QUEUED_BYTES) return;
    this.socket.pause();
    if (backlog) {
      this.socket.once('drain', () => {
        this.resumeIfRoom();
      });
    }
  }

  /** Reads again once the queue and the replies waiting are back under their limits. */
  private resumeIfRoom(): void {
    if (this.closed || !this.socket.isPaused()) return;
    if (this.queue.length > MAX_QUEUED_LINES || this.queuedBytes > MAX_QUEUED_BYTES) return;
    if (this.socket.writableLength > MAX_PENDING_REPLY_BYTES) {
      this.socket.once('drain', () => {
        this.resumeIfRoom();
      });
      return;
    }
    this.socket.resume();
  }

  private isUrgent(line: string): boolean {
    const verb = line.slice(0, 5).trimEnd().toUpperCase();
    return this.services.registry.get(verb)?.duringTransfer === true;
  }

  /** Runs queued lines one by one; an ordinary command waits for a running transfer to end. */
  private kick(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    const rest = this.drain();
    if (rest === undefined) {
      this.draining = false;
      return;
    }
    void rest.finally(() => {
      this.draining = false;
    });
  }

  /**
   * Works off the queue. Most commands finish at once, and then so does this, with no promise; the
   * rest comes as a promise once a command or a client that does not read its replies is waited for.
   * While a transfer runs, only ABOR, STAT and QUIT run, wherever they wait in the queue (the
   * others wait for the transfer); their replies are paced like any others.
   */
  private drain(): Promise<void> | undefined {
    for (;;) {
      if (this.closed) return undefined;
      const index = this.isTransferring ? this.queue.findIndex((line) => this.isUrgentLine(line)) : 0;
      const next = this.queue[index];
      // During a transfer, its completion calls kick() again.
      if (index === -1 || next === undefined) break;
      this.queue.splice(index, 1);
      this.queuedBytes -= lineSize(next);
      const pending = this.execute(next);
      if (pending !== undefined || this.socket.writableLength > MAX_PENDING_REPLY_BYTES) {
        return this.drainAfter(pending);
      }
    }
    this.resumeIfRoom();
    return undefined;
  }

  private isUrgentLine(line: DecodedLine): boolean {
    return line.kind === 'line' && this.isUrgent(line.line);
  }

  private async drainAfter(pending: Promise<void> | undefined): Promise<void> {
    await pending;
    if (this.socket.writableLength > MAX_PENDING_REPLY_BYTES) {
      this.socket.pause();
      await drainedOrClosed(this.socket);
    }
    await this.drain();
  }

  keepPassive(channel: PassiveChannel): boolean {
    // Not for a session that has ended or turned to active mode meanwhile.
    if (this.closed || this.dataChannel?.mode === 'active') return false;
    return this.passiveReuse?.keep(channel) ?? false;
  }

  /**
   * Runs one line. Most commands finish at once and return nothing; a promise comes back only
   * when a handler still has work to do, so the common case costs no extra turns of the loop.
   */
  private execute(line: DecodedLine): Promise<void> | undefined {
    let command: Command | undefined;
    try {
      if (line.kind === 'too-long') {
        this.refuse(undefined, Reply.SyntaxError, 'Command line too long.');
        return undefined;
      }
      command = parseCommandLine(line.line);
      if (this.parentLog.isLevelEnabled('debug')) {
        this.log.debug({ command: command.verb === 'PASS' ? 'PASS ***' : line.line }, 'command');
      }
      return this.dispatch(command, line.notUtf8 === true)?.catch((err: unknown) => {
        this.commandFailed(err, command);
      });
    } catch (err) {
      this.commandFailed(err, command);
      return undefined;
    }
  }

  private dispatch(command: Command, notUtf8: boolean): Promise<void> | undefined {
    // Names are UTF-8 here (RFC 2640): bytes that are not would turn into U+FFFD, and "a\x80" and
    // "a\x81" would name one file. A password is only compared, so it may be anything.
    if (notUtf8 && command.verb !== 'PASS') {
      this.refuse(command, Reply.FileNameNotAllowed, 'Not valid UTF-8; names are UTF-8 here.');
      return undefined;
    }
    const spec = this.services.registry.get(command.verb);
    if (!spec) {
      this.refuse(command, Reply.SyntaxError, `Unknown command ${JSON.stringify(command.verb)}.`);
      return undefined;
    }
    if ((spec.needsLogin ?? true) && !this.state.account) {
      this.refuse(command, Reply.NotLoggedIn, 'Please login with USER and PASS.');
      return undefined;
    }
    if (spec.arg === 'required' && command.arg === '') {
      this.refuse(command, Reply.SyntaxErrorInArgs, `${spec.verb} needs an argument: ${spec.syntax}`);
      return undefined;
    }
    if (spec.needsWrite && !this.state.account?.writable) {
      this.refuse(command, Reply.FileUnavailable, 'Permission denied: this account is read-only.');
      return undefined;
    }
    if (
      spec.needsDataChannel &&
      this.state.protection !== 'P' &&
      !this.state.account?.anonymous &&
      tlsRequired(this)
    ) {
      this.refuse(
        command,
        Reply.DataProtectionRequired,
        'Data connections must be protected: send PBSZ 0 and PROT P first (tls-policy is required).',
      );
      return undefined;
    }
    if (spec.needsDataChannel && !this.dataChannel) {
      this.state.restOffset = 0;
      this.refuse(command, Reply.CantOpenData, 'Use PORT, EPRT, PASV or EPSV first.');
      return undefined;
    }
    if (spec.verb !== 'RNTO' && spec.verb !== 'RNFR') this.state.renameFrom = undefined;
    if (!spec.needsDataChannel) {
      const result = spec.handler(this, command.arg);
      return result instanceof Promise ? result : undefined;
    }
    // The data connection set up for a transfer command is for that one: refused, the command
    // gives it up (as vsftpd does), rather than keep a socket nobody will use.
    const channel = this.dataChannel;
    const release = (err: unknown): never => {
      if (this.dataChannel === channel) this.setDataChannel(undefined);
      throw err;
    };
    try {
      const result = spec.handler(this, command.arg);
      return result instanceof Promise ? result.catch(release) : undefined;
    } catch (err) {
      return release(err);
    }
  }

  private commandFailed(err: unknown, command: Command | undefined): void {
    if (err instanceof FtpError) {
      this.refuse(command, err.replyCode, err.message);
    } else {
      this.log.error({ err, verb: command?.verb }, 'internal error');
      this.refuse(command, Reply.LocalError, 'Requested action aborted: internal error.');
    }
  }

  /**
   * A command's failure reply, logged at info: an operator sees why an upload or a mkdir failed
   * (an unwritable folder, a full disk) without turning on debug. A password never reaches the log.
   */
  private refuse(command: Command | undefined, code: number, text: string): void {
    if (this.parentLog.isLevelEnabled('info')) {
      const verb = command?.verb;
      const arg = command === undefined || command.verb === 'PASS' ? undefined : command.arg || undefined;
      this.log.info({ code, verb, arg, reason: text }, 'command failed');
    }
    this.reply(code, text);
  }

  /*
   * One timer per idle period that looks at lastActive when it fires, rather than a timer moved on
   * every read and write (socket.setTimeout): a command then costs one clock read.
   */
  private armIdleTimer(delayMs: number): void {
    this.cancelIdleTimer = this.services.clock.after(delayMs, () => {
      this.onIdleTimer();
    });
  }

  private onIdleTimer(): void {
    if (this.closed) return;
    const { idleTimeoutMs } = this.services.options;
    const left = this.lastActive + idleTimeoutMs - this.services.clock.now();
    // A running transfer keeps the session; its end counts as activity.
    if (left > 0 || this.isTransferring) {
      this.armIdleTimer(left > 0 ? left : idleTimeoutMs);
      return;
    }
    this.reply(Reply.ServiceNotAvailable, 'Idle timeout; closing control connection.');
    this.close();
  }

  private teardown(): void {
    this.closed = true;
    this.endSignal();
    this.cancelIdleTimer();
    clearTimeout(this.loginTimer);
    this.queue.length = 0;
    this.setDataChannel(undefined);
    this.passiveReuse?.clear();
    this.runner?.stop();
    this.onClose(this);
  }
}

/**
 * Resolves at the socket's next 'drain' or 'close' and takes both listeners off: a client that
 * reads slowly makes the session wait many times, and a listener left per wait would pile up.
 */
function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

/** What a queued line holds, in characters (a line too long was dropped already). */
function lineSize(line: DecodedLine): number {
  return line.kind === 'line' ? line.line.length : 0;
}
