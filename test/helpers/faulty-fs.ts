// A FileSystem that fails on purpose: a local folder, except that the next operation of a chosen
// kind fails at its start or half-way through its data, with a disk error or a stall.
import { Readable, Writable } from 'node:stream';
import { toFtpError } from '../../src/server/fs/errors.js';
import { FileRange } from '../../src/server/fs/file-range.js';
import type { FileSystem, ReadSource, Upload, WriteMode } from '../../src/server/fs/file-system.js';
import { LocalFileSystem } from '../../src/server/fs/local.js';

export type FaultError = 'ENOSPC' | 'EIO' | 'EACCES';

export interface Fault {
  op: 'read' | 'write' | 'list' | 'rename' | 'mkdir';
  /** At the call itself, or after `MIDWAY_BYTES` of the data (read and write only). */
  at: 'start' | 'midway';
  /** A disk error, or (midway only) data that stops moving. */
  error: FaultError | 'stall';
}

/** Where a fault half-way through a transfer strikes. */
export const MIDWAY_BYTES = 64 * 1024;

/** A system error as Node raises it, turned into what a FileSystem must throw (see toFtpError). */
function failure(code: FaultError): Error {
  const error = Object.assign(new Error(`${code}: injected fault`), { code });
  return toFtpError(error);
}

/** The faults to come, taken one by one by the operations they name. */
export class FaultPlan {
  readonly #faults: Fault[] = [];

  add(fault: Fault): void {
    this.#faults.push(fault);
  }

  take(op: Fault['op']): Fault | undefined {
    const index = this.#faults.findIndex((fault) => fault.op === op);
    return index === -1 ? undefined : this.#faults.splice(index, 1)[0];
  }
}

/** The local folder `home`, failing as `plan` says. */
export async function faultyFileSystem(home: string, plan: FaultPlan): Promise<FileSystem> {
  const local = await LocalFileSystem.create(home);
  const atStart = (fault: Fault | undefined): void => {
    if (fault?.at === 'start' && fault.error !== 'stall') throw failure(fault.error);
  };
  const overrides: Partial<FileSystem> = {
    async list(path, accept) {
      atStart(plan.take('list'));
      return local.list(path, accept);
    },
    async rename(from, to) {
      atStart(plan.take('rename'));
      return local.rename(from, to);
    },
    async mkdir(path) {
      atStart(plan.take('mkdir'));
      return local.mkdir(path);
    },
    async read(path, offset) {
      const fault = plan.take('read');
      atStart(fault);
      const source = await local.read(path, offset);
      return fault?.at === 'midway' ? failingSource(source, fault) : source;
    },
    async write(path: string, mode: WriteMode) {
      const fault = plan.take('write');
      atStart(fault);
      const upload = await local.write(path, mode);
      return fault?.at === 'midway' ? failingUpload(upload, fault) : upload;
    },
  };
  return new Proxy(local, {
    get(target, key) {
      if (typeof key === 'string' && key in overrides) return overrides[key as keyof FileSystem];
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The file's bytes up to MIDWAY_BYTES, then the fault. */
function failingSource(source: ReadSource, fault: Fault): ReadSource {
  const { body } = source;
  const inner = Buffer.isBuffer(body)
    ? Readable.from([body])
    : body instanceof FileRange
      ? body.toStream(64 * 1024)
      : body;
  return { size: source.size, body: new FailingReadable(inner, fault) };
}

class FailingReadable extends Readable {
  readonly #inner: Readable;
  readonly #fault: Fault;
  #sent = 0;

  constructor(inner: Readable, fault: Fault) {
    super();
    this.#inner = inner;
    this.#fault = fault;
    inner.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    const chunk = this.#inner.read() as Buffer | null;
    if (chunk === null) {
      this.#inner.once('readable', () => this._read());
      return;
    }
    const room = MIDWAY_BYTES - this.#sent;
    this.#sent += Math.min(room, chunk.length);
    if (room > 0) this.push(chunk.subarray(0, room));
    // A stall: nothing more, ever, until the transfer is given up.
    if (chunk.length >= room && this.#fault.error !== 'stall') this.destroy(failure(this.#fault.error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
  }
}

/** The upload's first MIDWAY_BYTES, then the fault; commit and abort are the real upload's. */
function failingUpload(upload: Upload, fault: Fault): Upload {
  let taken = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (taken >= MIDWAY_BYTES) {
        // A stall never answers; an error fails the write.
        if (fault.error !== 'stall') callback(failure(fault.error));
        return;
      }
      taken += chunk.length;
      upload.stream.write(chunk, callback);
    },
    final(callback) {
      upload.stream.end(callback);
    },
    destroy(error, callback) {
      upload.stream.destroy();
      callback(error);
    },
  });
  stream.on('error', () => undefined);
  return { stream, commit: () => upload.commit(), abort: () => upload.abort() };
}
