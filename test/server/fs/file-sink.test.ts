import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants, fstatSync, openSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { InsufficientStorageError, LocalProcessingError } from '../../../src/protocol/errors.js';
import { FileSink, SYNC_WRITE_BYTES } from '../../../src/server/fs/file-sink.js';

/** True while `fd` is an open descriptor of this process. */
function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

describe('server/fs/file-sink', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'ftpkit-sink-')));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const file = (name: string): string => path.join(dir, name);
  const openFor = (name: string, flags: number): number => openSync(file(name), flags, 0o644);

  it('writes a small upload at once: the bytes are on disk right after write() and the fd closes on end', async () => {
    const fd = openFor('small.bin', constants.O_WRONLY | constants.O_CREAT);
    const sink = new FileSink(fd);
    const body = randomBytes(4096);
    sink.write(body);
    // No turn of the event loop has passed: only a synchronous write can have put them there.
    expect((await readFile(file('small.bin'))).equals(body)).to.equal(true);
    sink.end();
    await finished(sink);
    expect(isOpen(fd)).to.equal(false);
    expect(sink.bytesWritten).to.equal(4096);
  });

  it('keeps order and content across the switch to thread-pool writes', async () => {
    const fd = openFor('big.bin', constants.O_WRONLY | constants.O_CREAT);
    const chunks = Array.from({ length: 40 }, () => randomBytes(20_000 + Math.floor(Math.random() * 30_000)));
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    expect(total).to.be.greaterThan(SYNC_WRITE_BYTES * 2);
    await pipeline(Readable.from(chunks), new FileSink(fd, { flush: true }));
    expect((await readFile(file('big.bin'))).equals(Buffer.concat(chunks))).to.equal(true);
    expect(isOpen(fd)).to.equal(false);
  });

  it('writes from a start offset, keeping the head and the tail beyond', async () => {
    await writeFile(file('r.txt'), 'AAAAAAAAAA');
    const fd = openFor('r.txt', constants.O_WRONLY);
    await pipeline(Readable.from([Buffer.from('bb'), Buffer.from('cc')]), new FileSink(fd, { start: 3 }));
    expect(await readFile(file('r.txt'), 'utf8')).to.equal('AAAbbccAAA');
  });

  it('appends at the end of an O_APPEND descriptor', async () => {
    await writeFile(file('log.txt'), 'one,');
    const fd = openFor('log.txt', constants.O_WRONLY | constants.O_APPEND);
    await pipeline(Readable.from([Buffer.from('two')]), new FileSink(fd));
    expect(await readFile(file('log.txt'), 'utf8')).to.equal('one,two');
  });

  it('fails with the write error as an FtpError and still closes the descriptor', async () => {
    // Read-only: every write fails with EBADF.
    const fd = openFor('ro.txt', constants.O_RDONLY | constants.O_CREAT);
    const sink = new FileSink(fd);
    let error: unknown;
    try {
      await pipeline(Readable.from([Buffer.from('x')]), sink);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(LocalProcessingError);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).to.equal('EBADF');
    await new Promise<void>((resolve) => {
      if (sink.closed) resolve();
      else sink.once('close', resolve);
    });
    expect(isOpen(fd)).to.equal(false);
  });

  it('says the disk is full (452) when the file system is out of space', async () => {
    // Every write to /dev/full fails with ENOSPC.
    const fd = openSync('/dev/full', constants.O_WRONLY);
    const sink = new FileSink(fd);
    let error: unknown;
    try {
      await pipeline(Readable.from([Buffer.alloc(4096)]), sink);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(InsufficientStorageError);
    expect((error as InsufficientStorageError).replyCode).to.equal(452);
    if (!sink.closed) await once(sink, 'close');
    expect(isOpen(fd)).to.equal(false);
  });

  it('closes the descriptor when destroyed before any write', async () => {
    const fd = openFor('none.txt', constants.O_WRONLY | constants.O_CREAT);
    const sink = new FileSink(fd);
    sink.destroy();
    await new Promise<void>((resolve) => sink.once('close', resolve));
    expect(isOpen(fd)).to.equal(false);
  });
});
