import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Account, Authenticator } from '../auth/account.js';
import type { LoginGuard } from '../auth/login-guard.js';
import type { Clock } from '../clock.js';
import type { DataChannel } from '../data/channel.js';
import type { PassiveChannel } from '../data/passive.js';
import type { FileSystem } from '../fs/file-system.js';
import type { Observers } from '../observe/observer.js';
import type { ServerOptions } from '../options.js';
import type { TrustedProxies } from '../proxy/trusted.js';
import type { TlsCredentials } from '../tls/credentials.js';
import type { CommandRegistry } from './registry.js';

/** What every session shares with its server. */
export interface ServerServices {
  readonly options: ServerOptions;
  readonly authenticator: Authenticator;
  readonly loginGuard: LoginGuard;
  readonly registry: CommandRegistry;
  /** Whether USER anonymous is answered with the anonymous prompt. */
  readonly anonymousEnabled: boolean;
  readonly observers: Observers;
  /** What sessions time their idleness with. */
  readonly clock: Clock;
  /**
   * With proxyProtocol, the load balancers whose PROXY headers are believed, on control and on
   * passive data connections; undefined otherwise.
   */
  readonly trustedProxies: TrustedProxies | undefined;
  /** The certificate and key for FTPS as they stand now (a reload replaces them); undefined: no TLS. */
  tlsCredentials(): TlsCredentials | undefined;
  createFileSystem(account: Account): Promise<FileSystem>;
}

/** Mutable per-session protocol state. */
export interface SessionState {
  /** Name given by USER, waiting for PASS. */
  pendingUser: string | undefined;
  account: Account | undefined;
  fs: FileSystem | undefined;
  cwd: string;
  type: 'A' | 'I';
  /** REST offset for the next RETR/STOR; reset after every transfer command. */
  restOffset: number;
  renameFrom: string | undefined;
  /** After EPSV ALL only EPSV may set up data connections (RFC 2428). */
  epsvAll: boolean;
  mlstFacts: Set<string>;
  loginFailures: number;
  /** PBSZ was given on the TLS control connection (PROT needs it first, RFC 4217). */
  pbsz: boolean;
  /** PROT: 'P' wraps each data connection in TLS. */
  protection: 'C' | 'P';
}

/**
 * A data transfer as the session runs it: open the data connection, 150, move bytes, 226.
 * `run` moves the bytes; `commit` runs after a successful run (an upload lands); `discard` runs
 * after any failure or abort.
 */
export interface TransferJob {
  opening: string;
  /**
   * Moves the bytes. Returns undefined when it handed every byte to the kernel and closed the
   * socket before returning (a small file): the session then sends 150 and 226 in one write.
   * `signal()` is the transfer's AbortSignal, made on the first call: stream pipelines take it,
   * so ABOR and the session's end stop every stream; a file sent in one write never needs it.
   */
  run(socket: Socket, signal: () => AbortSignal): Promise<void> | undefined;
  commit?(): Promise<void>;
  discard?(): Promise<void>;
  done: string | (() => string);
  /** For logs and STAT: what is moving. */
  describe: { direction: 'send' | 'receive' | 'list'; path: string };
}

export interface RunningTransfer {
  readonly job: TransferJob;
  readonly startedAt: number;
  bytes(): number;
}

/** The face of a session that command handlers see. */
export interface CommandContext {
  readonly state: SessionState;
  readonly log: Logger;
  readonly services: ServerServices;
  /** Control connection peer address, normalised (no ::ffff: prefix). */
  readonly peerAddress: string;
  /** Control connection local address, normalised. */
  readonly localAddress: string;
  reply(code: number, text: string | readonly string[]): void;
  /** An FTP path argument resolved against the cwd. */
  resolve(arg: string): string;
  /** The logged-in user's file system. */
  files(): FileSystem;
  /** A listener for PASV/EPSV: the one kept from the last passive transfer, at once, else a new one. */
  openPassive(): PassiveChannel | Promise<PassiveChannel>;
  /** Replaces (and closes) any pending data channel. */
  setDataChannel(channel: DataChannel | undefined): void;
  hasDataChannel(): boolean;
  readonly transfer: RunningTransfer | undefined;
  /** Opens the data connection, replies 150 and runs the transfer in the background. */
  startTransfer(job: TransferJob): void;
  /** Aborts the running transfer (426) and waits until it has replied. */
  abortTransfer(): Promise<boolean>;
  /** Ends the session after the replies written so far. */
  close(): void;
  /** Aborted when the session ends: work for it that has not started yet can be dropped. */
  readonly ended: AbortSignal;
  /** Resets to the state right after the greeting (REIN). */
  reinitialize(): void;
  /** Whether the control connection runs over TLS (after AUTH TLS, or on the implicit port). */
  readonly tlsActive: boolean;
  /** After the 234 reply to AUTH TLS: the control connection becomes the TLS server's side. */
  startTls(): void;
}
