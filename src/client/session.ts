import { createWriteStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { OnReadOpts, Socket } from 'node:net';
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  baseName,
  createAsciiDecoder,
  createAsciiEncoder,
  isFailure,
  isPermanentFailure,
  isPlainName,
  isUnknownCommand,
  parseFeatures,
  parseListing,
  parseMlstFeature,
  parseMlsxLine,
  parseQuotedPath,
  parseTimeVal,
  ProtocolViolationError,
  READ_FACTS,
  Reply,
  type FileEntry,
  type FtpReply,
} from '../protocol/index.js';
import { maskCommand, type ControlConnection } from './control.js';
import { openActive } from './data/active.js';
import type { PendingData } from './data/channel.js';
import { FileReceiver } from './data/file-receiver.js';
import { openPassive } from './data/passive.js';
import { FtpReplyError } from './errors.js';
import { pipelineIntoFile, type Stage } from './file-pipeline.js';
import { collectListing } from './listing-sink.js';
import type {
  ClientOptions,
  ControlEncoding,
  DataMode,
  DownloadOptions,
  ListOptions,
  TransferResult,
  TransferType,
  UploadOptions,
} from './options.js';
import { systemClock, type Clock } from './clock.js';
import { ProgressMeter, sizeFromPreliminary } from './progress.js';
import { runTransfer, type TransferVerb } from './transfer.js';

export const DEFAULTS = {
  connectTimeoutMs: 15_000,
  replyTimeoutMs: 30_000,
  dataTimeoutMs: 30_000,
  maxListingBytes: 64 * 1024 * 1024,
} as const;

/** Bigger reads than fs's 64 KiB default: fewer trips through the stream machinery per GiB. */
const FILE_READ_CHUNK = 512 * 1024;

/**
 * Write buffer for downloads to a file through the stream path (active mode): with fs's 16 KiB
 * default every 64 KiB socket read waits for its own write; with 4 MiB the writes batch up
 * (writev). Measured from ftpkitd, 512 MiB: 1.1 instead of 1.8 CPU-s/GiB.
 */
const FILE_WRITE_BUFFER = 4 * 1024 * 1024;

interface TransferSpec {
  verb: TransferVerb;
  path: string | undefined;
  type: TransferType;
  offset: number;
  signal: AbortSignal | undefined;
  /** Moves the data; resolves once it has all been written (download) or sent (upload). */
  run(socket: Socket, preliminary: FtpReply | undefined, receiving: boolean): Promise<void>;
  /** A FileReceiver's hook for the data socket; used in passive mode only (`receiving` says). */
  onread?: OnReadOpts;
}

/** The client's choices a session reads at each operation (they may change between operations). */
export interface SessionModes {
  readonly mode: DataMode;
  readonly type: TransferType;
}

/**
 * What can be done on one control connection: the commands and transfers of FtpClient, without
 * its guarantee of one operation at a time, so that operations can be built from others (a
 * download asks SIZE, mkdir -p checks with CWD). FtpClient owns one per connection and runs its
 * methods through its operation queue; nothing else should call them.
 */
export class Session {
  readonly #control: ControlConnection;
  readonly #options: ClientOptions;
  readonly #modes: SessionModes;
  readonly #encoding: ControlEncoding;
  readonly #clock: Clock;
  #loggedIn = false;
  #features = new Map<string, string>();
  #serverType: TransferType | undefined;
  #epsvRefused = false;
  #eprtRefused = false;
  /** "LIST -a" failed once: this server takes no ls options. */
  #listAllRefused = false;

  constructor(control: ControlConnection, options: ClientOptions, modes: SessionModes) {
    this.#control = control;
    this.#options = options;
    this.#modes = modes;
    this.#encoding = options.encoding ?? 'utf8';
    this.#clock = options.clock ?? systemClock;
  }

  get control(): ControlConnection {
    return this.#control;
  }

  get loggedIn(): boolean {
    return this.#loggedIn;
  }

  /** What FEAT offered: upper-case feature name to its parameters ('' when none). */
  get features(): ReadonlyMap<string, string> {
    return this.#features;
  }

  /** Resolves with the password it sent: anonymous users get the traditional one when none is given. */
  async login(user: string, password?: string): Promise<string> {
    const pass = password ?? (user === 'anonymous' || user === 'ftp' ? 'anonymous@' : '');
    this.#loggedIn = false;
    let command = `USER ${user}`;
    let reply = await this.#send('USER', user);
    if (reply.code === Reply.NeedPassword) {
      command = 'PASS ****';
      reply = await this.#send('PASS', pass);
    }
    if (reply.code !== Reply.LoggedIn && reply.code !== Reply.CommandSuperfluous) {
      throw new FtpReplyError(
        reply.code === Reply.NeedAccount ? 'ACCT (accounts are not supported)' : command,
        reply,
      );
    }
    this.#loggedIn = true;
    const feat = await this.#send('FEAT');
    this.#features = feat.code === Reply.SystemStatus ? parseFeatures(feat.lines) : new Map<string, string>();
    // A server that is told UTF-8 would send names this client, set to another encoding, misreads.
    if (this.#features.has('UTF8') && this.#encoding === 'utf8') await this.#send('OPTS', 'UTF8 ON');
    await this.#askForFacts();
    this.#serverType = undefined;
    return pass;
  }

  async stat(path: string): Promise<FileEntry> {
    const name = baseName(path);
    if (this.#features.has('MLST')) {
      const reply = await this.#send('MLST', path);
      if (isFailure(reply.code) && !isUnknownCommand(reply.code))
        throw new FtpReplyError(`MLST ${path}`, reply);
      // The facts are the reply's middle line, which starts with a space (RFC 3659 7.2).
      const facts = reply.lines.find((line, i) => i > 0 && line.startsWith(' '));
      if (!isFailure(reply.code) && facts !== undefined) {
        try {
          return { ...parseMlsxLine(facts.slice(1)), name };
        } catch {
          // Unparsable facts: SIZE and MDTM below may still say enough.
        }
      }
    }
    const size = await this.size(path);
    const entry: FileEntry = { name, type: 'file', size };
    if (this.#features.has('MDTM')) {
      try {
        entry.modified = await this.modifiedTime(path);
        entry.modifiedPrecision = 'second';
      } catch (error) {
        if (!(error instanceof FtpReplyError)) throw error;
      }
    }
    return entry;
  }

  async raw(line: string, options: { ignoreErrors?: boolean } = {}): Promise<FtpReply> {
    const space = line.indexOf(' ');
    const verb = space === -1 ? line : line.slice(0, space);
    const arg = space === -1 ? undefined : line.slice(space + 1);
    const reply = options.ignoreErrors === true ? await this.#send(verb, arg) : await this.#expect(verb, arg);
    // The user may have changed the type behind our back.
    if (verb.toUpperCase() === 'TYPE') this.#serverType = undefined;
    return reply;
  }

  async pwd(): Promise<string> {
    const reply = await this.#expect('PWD');
    const path = parseQuotedPath(reply.text);
    if (path === undefined) throw new ProtocolViolationError(`PWD reply holds no path: ${reply.text}`);
    return path;
  }

  async cd(path: string): Promise<void> {
    await this.#expect('CWD', path);
  }

  async cdup(): Promise<void> {
    await this.#expect('CDUP');
  }

  async size(path: string): Promise<number> {
    // Some servers refuse SIZE in ASCII mode (the size would depend on the conversion).
    await this.#setType('binary');
    const reply = await this.#expect('SIZE', path);
    const size = Number(reply.text.trim());
    if (!Number.isSafeInteger(size) || size < 0)
      throw new ProtocolViolationError(`Bad SIZE reply: ${reply.text}`);
    return size;
  }

  async modifiedTime(path: string): Promise<Date> {
    const reply = await this.#expect('MDTM', path);
    const time = parseTimeVal(reply.text.trim());
    if (time === undefined) throw new ProtocolViolationError(`Bad MDTM reply: ${reply.text}`);
    return time;
  }

  async setModifiedTime(path: string, time: Date): Promise<void> {
    const stamp = time
      .toISOString()
      .replace(/[-:T]/g, '')
      .replace(/\.\d+Z$/, '');
    await this.#expect('MFMT', `${stamp} ${path}`);
  }

  async mkdir(path: string, options: { parents?: boolean } = {}): Promise<void> {
    if (options.parents !== true) {
      await this.#expect('MKD', path);
      return;
    }
    const parts = path.split('/').filter((part) => part !== '' && part !== '.');
    let prefix = path.startsWith('/') ? '/' : '';
    let last: FtpReply | undefined;
    for (const part of parts) {
      prefix = prefix === '' ? part : posix.join(prefix, part);
      last = await this.#send('MKD', prefix);
    }
    if (last === undefined || !isFailure(last.code)) return;
    // The last MKD failed: fine if the directory was already there, an error otherwise.
    if (!(await this.isDirectory(prefix))) throw new FtpReplyError(`MKD ${prefix}`, last);
  }

  async isDirectory(path: string): Promise<boolean> {
    const here = await this.pwd();
    const reply = await this.#send('CWD', path);
    if (isFailure(reply.code)) return false;
    await this.#expect('CWD', here);
    return true;
  }

  async remove(path: string): Promise<void> {
    await this.#expect('DELE', path);
  }

  async removeDir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    if (options.recursive === true) {
      // Hidden names too: what rm -r removes.
      for (const entry of await this.list(path, { all: true })) {
        if (!isPlainName(entry.name)) continue;
        const child = posix.join(path, entry.name);
        if (entry.type === 'dir') await this.removeDir(child, options);
        else await this.remove(child);
      }
    }
    await this.#expect('RMD', path);
  }

  async rename(from: string, to: string): Promise<void> {
    const reply = await this.#send('RNFR', from);
    if (reply.code !== Reply.PendingFurtherInfo) throw new FtpReplyError(`RNFR ${from}`, reply);
    await this.#expect('RNTO', to);
  }

  async list(path?: string, options: ListOptions = {}): Promise<FileEntry[]> {
    const useMlsd = this.#features.has('MLST');
    try {
      return await this.#listWith(useMlsd ? 'MLSD' : 'LIST', path, options);
    } catch (error) {
      // A server may advertise MLST yet not implement MLSD.
      if (
        !useMlsd ||
        !(error instanceof FtpReplyError) ||
        (error.replyCode !== Reply.SyntaxError && error.replyCode !== Reply.NotImplemented)
      )
        throw error;
      return this.#listWith('LIST', path, options);
    }
  }

  /** LIST, with "-a" when all names are wanted and the server has not refused it before. */
  async #listByLines(path: string | undefined, options: ListOptions): Promise<FileEntry[]> {
    if (options.all !== true || this.#listAllRefused) return this.#listText('LIST', path, options);
    try {
      return await this.#listText('LIST', path === undefined ? '-a' : `-a ${path}`, options);
    } catch (error) {
      // Not every server reads ls options ("-a dir" may be taken for a name): plain LIST then,
      // and from now on if that works (a missing directory fails both ways).
      if (!(error instanceof FtpReplyError) || !isPermanentFailure(error.replyCode)) throw error;
      const entries = await this.#listText('LIST', path, options);
      this.#listAllRefused = true;
      return entries;
    }
  }

  async ensureDir(path: string): Promise<void> {
    await this.mkdir(path, { parents: true });
    await this.cd(path);
  }

  async clearWorkingDir(): Promise<void> {
    for (const entry of await this.list(undefined, { all: true })) {
      // Listing names are never trusted as paths; "./" keeps a name like "-rf" from reading as an option.
      if (!isPlainName(entry.name)) continue;
      const path = `./${entry.name}`;
      if (entry.type === 'dir') await this.removeDir(path, { recursive: true });
      else await this.remove(path);
    }
  }

  async download(
    remotePath: string,
    destination: string | Writable,
    options: DownloadOptions = {},
  ): Promise<TransferResult> {
    let offset = options.offset ?? 0;
    if (typeof destination === 'string' && options.resume === true) {
      offset = await localSize(destination);
    }
    const type = options.type ?? this.#modes.type;
    // Not every server says the size in its 150 (pyftpdlib does not): ask first, so that a
    // progress display has a total.
    const total =
      options.onProgress !== undefined && type === 'binary'
        ? await this.#sizeIfOffered(remotePath)
        : undefined;
    const meter =
      options.onProgress === undefined
        ? undefined
        : new ProgressMeter(options.onProgress, offset, total, this.#clock);
    const receiver = typeof destination === 'string' && type === 'binary' ? new FileReceiver() : undefined;
    try {
      const result = await this.#transfer({
        verb: 'RETR',
        path: remotePath,
        type,
        offset,
        signal: options.signal,
        ...(receiver === undefined ? {} : { onread: receiver.onread }),
        run: async (socket, preliminary, receiving) => {
          if (meter !== undefined && preliminary !== undefined)
            meter.total = sizeFromPreliminary(preliminary.text) ?? meter.total;
          // A local file is opened only now that the server has agreed to send: a refused RETR
          // must not truncate what is there.
          if (receiving && receiver !== undefined && typeof destination === 'string') {
            await receiver.receive(socket, destination, offset > 0, meter && ((bytes) => meter.add(bytes)));
            return;
          }
          const stages: Stage[] = [socket];
          if (type === 'ascii') stages.push(createAsciiDecoder());
          if (meter !== undefined) stages.push(meter.counter());
          if (typeof destination !== 'string') {
            await pipeline([...stages, destination]);
            return;
          }
          const file = createWriteStream(destination, {
            flags: offset > 0 ? 'a' : 'w',
            highWaterMark: FILE_WRITE_BUFFER,
          });
          await pipelineIntoFile(stages, file);
        },
      });
      meter?.finish();
      return result;
    } finally {
      meter?.stop();
    }
  }

  async upload(
    source: string | Readable,
    remotePath: string,
    options: UploadOptions = {},
  ): Promise<TransferResult> {
    // A local file is opened before the server is asked to store anything: a missing or
    // unreadable file must not leave an empty remote file behind.
    const file = typeof source === 'string' ? await open(source, 'r') : undefined;
    try {
      let offset = 0;
      let total: number | undefined;
      let append = options.append === true;
      if (file !== undefined) {
        total = (await file.stat()).size;
        if (options.range !== undefined) {
          if (options.resume === true) throw new TypeError('An upload takes a range or resume, not both.');
          ({ start: offset, end: total } = checkedRange(options.range, total));
        } else if (options.resume === true) {
          offset = await this.#remoteSizeOrZero(remotePath);
          append = offset > 0;
        }
      }
      const meter =
        options.onProgress === undefined
          ? undefined
          : new ProgressMeter(options.onProgress, offset, total, this.#clock);
      const type = options.type ?? this.#modes.type;
      // A small file is read whole before the command goes out and sent in one write: no read
      // stream, no pipeline, no read to find the end (2,000 x 4 KiB: ~10% more files/s).
      const body =
        file !== undefined && total !== undefined && type === 'binary' && total - offset <= FILE_READ_CHUNK
          ? await readRange(file, offset, total - offset)
          : undefined;
      try {
        const result = await this.#transfer({
          verb: append ? 'APPE' : 'STOR',
          path: remotePath,
          type,
          offset: 0,
          signal: options.signal,
          run: async (socket) => {
            if (body !== undefined) {
              await endWith(socket, body);
              meter?.add(body.length);
              return;
            }
            const stages: Stage[] = [
              file === undefined
                ? (source as Readable)
                : file.createReadStream({
                    start: offset,
                    // The end the size (or the range) gave: a file growing meanwhile sends no more.
                    ...(total === undefined ? {} : { end: total - 1 }),
                    highWaterMark: FILE_READ_CHUNK,
                    autoClose: false,
                  }),
            ];
            if (meter !== undefined) stages.push(meter.counter());
            if (type === 'ascii') stages.push(createAsciiEncoder());
            stages.push(socket);
            await pipeline(stages);
          },
        });
        meter?.finish();
        return result;
      } finally {
        meter?.stop();
      }
    } finally {
      await file?.close();
    }
  }

  /** MLSD, which lists every name, or LIST, which an ls-style server asks "-a" of for the dot files too. */
  #listWith(verb: 'MLSD' | 'LIST', path: string | undefined, options: ListOptions): Promise<FileEntry[]> {
    return verb === 'MLSD' ? this.#listText('MLSD', path, options) : this.#listByLines(path, options);
  }

  async #listText(
    verb: 'MLSD' | 'LIST',
    arg: string | undefined,
    options: ListOptions,
  ): Promise<FileEntry[]> {
    let text = '';
    await this.#transfer({
      verb,
      path: arg,
      type: this.#serverType ?? this.#modes.type,
      offset: 0,
      signal: options.signal,
      run: async (socket) => {
        text = await collectListing(
          socket,
          this.#options.maxListingBytes ?? DEFAULTS.maxListingBytes,
          this.#encoding,
        );
      },
    });
    const parser = this.#options.parseListing;
    return parser === undefined ? parseListing(text) : parser(text, verb);
  }

  /**
   * Turns on the MLSx facts the server offers but does not send by default (pyftpdlib's unix.mode),
   * when the listing would use them; nothing is sent when they are all on already.
   */
  async #askForFacts(): Promise<void> {
    const spec = this.#features.get('MLST');
    if (spec === undefined) return;
    const offered = parseMlstFeature(spec).filter(({ fact }) => READ_FACTS.includes(fact));
    if (offered.every(({ enabled }) => enabled)) return;
    // A refusal changes nothing: the listing makes do with the facts it gets.
    await this.#send('OPTS', `MLST ${offered.map(({ fact }) => `${fact};`).join('')}`);
  }

  /** SIZE where the server offers it; undefined when it does not, or refuses for this path. */
  async #sizeIfOffered(path: string): Promise<number | undefined> {
    if (!this.#features.has('SIZE')) return undefined;
    try {
      return await this.size(path);
    } catch (error) {
      if (error instanceof FtpReplyError) return undefined;
      throw error;
    }
  }

  async #remoteSizeOrZero(path: string): Promise<number> {
    try {
      return await this.size(path);
    } catch (error) {
      if (error instanceof FtpReplyError && error.replyCode === Reply.FileUnavailable) return 0;
      throw error;
    }
  }

  async #setType(type: TransferType): Promise<void> {
    if (this.#serverType === type) return;
    await this.#expect('TYPE', type === 'ascii' ? 'A' : 'I');
    this.#serverType = type;
  }

  /**
   * One data transfer, start to end: type, data connection, then the exchange itself (transfer.ts),
   * which resolves only when both the data and the final reply are complete.
   */
  async #transfer(spec: TransferSpec): Promise<TransferResult> {
    const control = this.#control;
    spec.signal?.throwIfAborted();
    if (spec.verb === 'RETR' || spec.verb === 'STOR' || spec.verb === 'APPE') await this.#setType(spec.type);
    // FileReceiver reads a plain socket only: a TLS one decrypts into buffers of its own.
    const receiving =
      spec.onread !== undefined && this.#modes.mode === 'passive' && control.tls?.dataProtected !== true;
    const data = await this.#openData(control, receiving ? spec.onread : undefined);
    const tls = control.tls?.dataProtected === true ? control.tls : undefined;
    const dataTimeoutMs = this.#options.dataTimeoutMs ?? DEFAULTS.dataTimeoutMs;
    const { bytes, reply } = await runTransfer({
      control,
      verb: spec.verb,
      path: spec.path,
      offset: spec.offset,
      signal: spec.signal,
      data,
      ...(tls === undefined ? {} : { secure: (tcp: Socket) => tls.secureData(tcp, dataTimeoutMs) }),
      dataTimeoutMs,
      clock: this.#clock,
      run: (socket, preliminary) => spec.run(socket, preliminary, receiving),
    });
    return { bytes, message: reply.text };
  }

  async #openData(control: ControlConnection, onread: OnReadOpts | undefined): Promise<PendingData> {
    const send = (verb: string, arg?: string): Promise<FtpReply> => this.#send(verb, arg);
    const serverAddress = control.socket.remoteAddress ?? '';
    const timeoutMs = this.#options.dataTimeoutMs ?? DEFAULTS.dataTimeoutMs;
    if (this.#modes.mode === 'active') {
      const outcome = await openActive({
        send,
        localAddress: control.socket.localAddress ?? '',
        serverAddress,
        allowForeignPeer: this.#options.allowForeignActivePeer === true,
        advertise: this.#options.activeAddress,
        skipEprt: this.#eprtRefused,
        timeoutMs,
      });
      this.#eprtRefused = outcome.eprtRefused;
      return outcome.data;
    }
    const outcome = await openPassive({
      send,
      serverAddress,
      skipEpsv: this.#epsvRefused,
      allowForeignPasvHost: this.#options.allowForeignPasvHost === true,
      timeoutMs,
      onread,
    });
    this.#epsvRefused = outcome.epsvRefused;
    return outcome.data;
  }

  #send(verb: string, arg?: string): Promise<FtpReply> {
    return this.#control.send(verb, arg);
  }

  async #expect(verb: string, arg?: string): Promise<FtpReply> {
    const reply = await this.#send(verb, arg);
    if (isFailure(reply.code))
      throw new FtpReplyError(maskCommand(arg === undefined ? verb : `${verb} ${arg}`), reply);
    return reply;
  }
}

/**
 * The part of a local file an upload's `range` names, checked against its size.
 * @throws RangeError for a start or end outside the file, or an end before the start.
 */
function checkedRange(range: { start?: number; end?: number }, size: number): { start: number; end: number } {
  const start = range.start ?? 0;
  const end = range.end ?? size;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end > size || end < start) {
    throw new RangeError(`Upload range ${start}-${end} does not fit a file of ${size} bytes.`);
  }
  return { start, end };
}

async function readRange(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Writes the last bytes of an upload and ends the socket; resolves once they are flushed. */
function endWith(socket: Socket, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    socket.once('error', onError);
    socket.end(body, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

async function localSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
