import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { FtpError, TransferAbortedError, Reply } from '../../protocol/index.js';
import type { RunningTransfer, ServerServices, SessionState, TransferJob } from '../commands/context.js';
import type { DataChannel } from '../data/channel.js';
import { isPassiveChannel, type PassiveChannel } from '../data/passive.js';
import type { TransferRecord } from '../observe/observer.js';
import { dataHandshake, dataHandshakeBegun, wrapDataSocket } from '../tls/data-socket.js';
import { bytesSentByKernel } from './kernel-pump.js';

/** What the runner needs of its session: replies, logs, and a say over the passive listener. */
export interface TransferHost {
  readonly services: ServerServices;
  readonly state: SessionState;
  readonly peerAddress: string;
  readonly log: Logger;
  /** Whether info lines are logged at all: no record is built per transfer when nobody keeps it. */
  logsInfo(): boolean;
  reply(code: number, text: string): void;
  /** Two replies in one write. */
  replyPair(code: number, text: string, nextCode: number, nextText: string): void;
  /** After a transfer that went well: whether the session keeps its passive listener for the next PASV. */
  keepPassive(channel: PassiveChannel): boolean;
  /** The transfer has replied and released its connection: the session reads commands again. */
  transferEnded(): void;
  /** Under PROT P: how to protect the data connection; undefined leaves it clear. */
  dataProtection(): DataProtection | undefined;
}

/** TLS on a data connection: the server's side always, whoever connected (RFC 4217 section 7). */
export interface DataProtection {
  /** The control connection's context: only its own tickets decrypt, so only its session resumes. */
  context: SecureContext;
  /** Refuse a data connection that does not resume the control connection's session. */
  reuseRequired: boolean;
}

interface ActiveTransfer extends RunningTransfer {
  /** Closed on abort: a transfer still waiting for its connection stops waiting. */
  channel: DataChannel;
  /** Made when a stream pipeline first asks for the signal (see TransferJob.run). */
  controller: AbortController | undefined;
  aborted: boolean;
  done: Promise<void>;
  socket: Socket | undefined;
  /** 150 has gone out (under TLS it may go before the handshake, which the client may wait for). */
  announced: boolean;
}

/**
 * Runs a session's transfers, one at a time: opens the data connection, begins (150), completes
 * (226 or the error's reply), finishes (releases the connection, logs) and aborts (426).
 */
export class TransferRunner {
  private running: ActiveTransfer | undefined;

  constructor(private readonly host: TransferHost) {}

  get current(): RunningTransfer | undefined {
    return this.running;
  }

  /** Resolves once the running transfer, if any, has replied and released its connection. */
  done(): Promise<void> {
    return this.running?.done ?? Promise.resolve();
  }

  start(job: TransferJob, channel: DataChannel): void {
    const transfer: ActiveTransfer = {
      job,
      startedAt: Date.now(),
      channel,
      controller: undefined,
      aborted: false,
      socket: undefined,
      announced: false,
      done: Promise.resolve(),
      bytes: () => {
        const { socket } = transfer;
        return socket ? socket.bytesRead + socket.bytesWritten + bytesSentByKernel(socket) : 0;
      },
    };
    const opened = channel.open();
    const protection = this.host.dataProtection();
    // A passive client has usually connected before it sent the command: a small file then goes
    // out within this turn of the event loop, with no promise, timer or extra wake-up. Not so
    // under TLS, where a handshake takes round trips.
    const work =
      protection !== undefined
        ? this.openSecure(transfer, opened, protection)
        : opened instanceof Promise
          ? this.openThenProceed(transfer, opened)
          : this.proceed(transfer, opened);
    if (work === undefined) return;
    // The transfer outlives the command: the next command waits for it, ABOR and STAT see it.
    this.running = transfer;
    transfer.done = work.finally(() => {
      this.running = undefined;
      this.host.transferEnded();
    });
  }

  /** Aborts the running transfer (426) and waits until it has replied; false when none runs. */
  async abort(): Promise<boolean> {
    const transfer = this.running;
    if (!transfer) return false;
    stop(transfer);
    await transfer.done;
    return true;
  }

  /** The session has ended: the running transfer stops, and nobody waits for its reply. */
  stop(): void {
    if (this.running) stop(this.running);
  }

  private async openThenProceed(transfer: ActiveTransfer, opened: Promise<Socket>): Promise<void> {
    let socket: Socket;
    try {
      socket = await opened;
    } catch (err) {
      return this.complete(transfer, Promise.reject(asError(err)));
    }
    return this.proceed(transfer, socket);
  }

  /**
   * The connection, then 150, then the TLS handshake: curl starts its handshake before it sends
   * RETR and waits for nothing, ftplib and lftp wait for the 150 before they start theirs. A data
   * connection that does not resume this control connection's session gets 522 (vsftpd's answer).
   */
  private async openSecure(
    transfer: ActiveTransfer,
    opened: Socket | Promise<Socket>,
    protection: DataProtection,
  ): Promise<void> {
    let secure: TLSSocket;
    try {
      const socket = await opened;
      // A passive connection is wrapped as it is accepted (see PassiveChannel.wrapOnAccept).
      secure = socket instanceof TLSSocket ? socket : wrapDataSocket(socket, protection.context);
      transfer.socket = secure;
      // A client that waits for 150 before its handshake (ftplib, lftp) gets it now. One that began
      // the handshake before the command (curl) gets it after, behind the new session ticket
      // (renewTicketsOnResume): curl reads an upload's data connection only as it closes it, and a
      // small upload is over before a ticket sent later arrives, which leaves curl no session for
      // its next file. A connection accepted in this turn has not been read yet: hence nextPoll.
      if (!dataHandshakeBegun(secure)) await nextPoll();
      if (!dataHandshakeBegun(secure)) this.announce(transfer);
      const resumed = await dataHandshake(secure, this.host.services.options.dataTimeoutMs);
      this.announce(transfer);
      if (protection.reuseRequired && !resumed) {
        refuseSecure(secure, this.host.services.options.dataTimeoutMs);
        transfer.socket = undefined;
        throw new FtpError(
          Reply.NetworkProtocolNotSupported,
          "Data connection refused: its TLS session must resume the control connection's (tls-session-reuse is required).",
        );
      }
    } catch (err) {
      return this.complete(transfer, Promise.reject(asError(err)));
    }
    return this.proceed(transfer, secure);
  }

  /** 150, once: under TLS before the handshake or after it (see openSecure), else when the job starts. */
  private announce(transfer: ActiveTransfer): void {
    if (transfer.announced) return;
    transfer.announced = true;
    this.host.reply(Reply.FileStatusOk, transfer.job.opening);
  }

  /** Runs the job on the connected socket; a promise only when the transfer outlives this turn. */
  private proceed(transfer: ActiveTransfer, socket: Socket): Promise<void> | undefined {
    let running: Promise<void> | undefined;
    try {
      running = this.begin(transfer, socket);
    } catch (err) {
      running = Promise.reject(asError(err));
    }
    if (running !== undefined) return this.complete(transfer, running);
    this.finish(transfer, true);
    return undefined;
  }

  /**
   * Starts moving bytes over the data connection. As vsftpd does, 150 comes once the connection
   * stands: a connection that never comes gets a lone 425. A job that is over as soon as it starts
   * (a small file) has 150 and 226 leave in one write, which spares a write and the client a
   * wake-up per file, and returns undefined; otherwise the promise of the rest.
   */
  private begin(transfer: ActiveTransfer, socket: Socket): Promise<void> | undefined {
    const { job } = transfer;
    const { host } = this;
    transfer.socket = socket;
    host.services.observers.dataConnected(transfer.channel.mode, Date.now() - transfer.startedAt);
    const upload = job.commit !== undefined;
    // An upload's 150 goes out first: the client starts sending while the receiving end is set up,
    // and its first bytes wait in the socket meanwhile.
    if (upload) this.announce(transfer);
    const running = job.run(socket, () => abortController(transfer).signal);
    if (!upload) {
      if (running === undefined) {
        if (transfer.announced) host.reply(Reply.ClosingData, doneText(job));
        else host.replyPair(Reply.FileStatusOk, job.opening, Reply.ClosingData, doneText(job));
        transfer.announced = true;
        return undefined;
      }
      this.announce(transfer);
    }
    socket.setTimeout(host.services.options.dataTimeoutMs, () => {
      socket.destroy(new TransferAbortedError('Data connection timed out; transfer aborted.'));
    });
    return running ?? Promise.resolve();
  }

  /** Waits for the bytes (and the upload's commit), then 226; or the reply that says what failed. */
  private async complete(transfer: ActiveTransfer, running: Promise<void>): Promise<void> {
    const { job } = transfer;
    const { host } = this;
    let ok = false;
    try {
      await running;
      await job.commit?.();
      ok = true;
      host.reply(Reply.ClosingData, doneText(job));
    } catch (err) {
      if (transfer.aborted) {
        host.reply(Reply.TransferAborted, 'Transfer aborted.');
      } else if (err instanceof FtpError) {
        host.reply(err.replyCode, err.message);
      } else {
        host.log.debug({ err: (err as Error).message }, 'transfer failed');
        host.reply(Reply.TransferAborted, 'Connection closed; transfer aborted.');
      }
    } finally {
      this.finish(transfer, ok);
      if (!ok) await job.discard?.().catch((err: unknown) => host.log.warn({ err }, 'discard failed'));
    }
  }

  /** Releases the connection and logs the transfer; after a passive one, readies the next PASV. */
  private finish(transfer: ActiveTransfer, ok: boolean): void {
    const { job, channel } = transfer;
    const { host } = this;
    // A client moving many files sends PASV again a command or two later (ftplib: TYPE, PASV):
    // the listener of a transfer that went well stays for it (see PassiveReuse).
    const kept = ok && isPassiveChannel(channel) && host.keepPassive(channel);
    if (!kept) channel.close();
    transfer.socket?.destroy();
    const { observers } = host.services;
    const logged = host.logsInfo();
    if (!logged && !observers.watching) return;
    const endedAt = Date.now();
    const { state } = host;
    const record: TransferRecord = {
      direction: job.describe.direction,
      path: job.describe.path,
      bytes: transfer.bytes(),
      ms: endedAt - transfer.startedAt,
      ok,
      aborted: transfer.aborted,
      mode: channel.mode,
      type: state.type,
      user: state.account?.user ?? '',
      anonymous: state.account?.anonymous ?? false,
      ip: host.peerAddress,
      endedAt,
    };
    observers.transfer(record);
    if (!logged) return;
    const { direction, path, bytes, ms, aborted, mode } = record;
    host.log.info({ direction, path, bytes, ms, ok, aborted, mode }, 'transfer');
  }
}

function abortController(transfer: ActiveTransfer): AbortController {
  transfer.controller ??= new AbortController();
  return transfer.controller;
}

/** Aborts a transfer: it stops waiting for its connection, or its streams and socket go. */
function stop(transfer: ActiveTransfer): void {
  transfer.aborted = true;
  // Made now if no pipeline has asked yet: one that starts after the abort (its connection was
  // already on its way) then gets a signal that has fired.
  abortController(transfer).abort();
  transfer.channel.close();
  transfer.socket?.destroy();
}

/**
 * Ends a refused TLS data connection with a close_notify rather than a cut: a client that reads
 * the data connection to its end before the reply (ftplib's unwrap()) then reads the 522; cut, it
 * fails on the TLS layer and leaves the 522 unread, to be taken for the reply to its next command.
 */
function refuseSecure(secure: TLSSocket, timeoutMs: number): void {
  secure.setTimeout(timeoutMs, () => secure.destroy());
  // What the client sends meanwhile is dropped, so that its end is seen and the socket closes.
  secure.resume();
  secure.end();
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function doneText(job: TransferJob): string {
  return typeof job.done === 'string' ? job.done : job.done();
}

/**
 * Returns after the event loop's next poll for I/O, which reads what the sockets have: the first
 * immediate runs at the end of this turn, the second after that poll.
 */
async function nextPoll(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}
