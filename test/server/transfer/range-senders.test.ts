import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { openSync, truncateSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { FtpError } from '../../../src/protocol/index.js';
import { FileRange } from '../../../src/server/fs/file-range.js';
import { pumpFile } from '../../../src/server/transfer/file-pump.js';
import { bytesSentByKernel, sendFileRange } from '../../../src/server/transfer/kernel-pump.js';
import { descriptorsOn } from '../../helpers/descriptors.js';
import { sha256Buffer } from '../../helpers/hash.js';
import { collect } from '../../helpers/raw-control.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { skipWithoutSendfile, useRangeFixture } from './range-fixture.js';

/** What both ways of sending a file range must do alike (each one's own cases are in its file). */
const SENDERS: {
  name: string;
  send: (range: FileRange, socket: Socket) => Promise<void>;
  needsAddon: boolean;
  /** How the bytes of a whole send went: what only this sender can show. */
  sentBy?: (ours: Socket, bytes: number) => void;
}[] = [
  { name: 'buffers (file-pump)', send: pumpFile, needsAddon: false },
  {
    name: 'sendfile (kernel-pump)',
    send: (range, socket) => sendFileRange(range, socket, true),
    needsAddon: true,
    sentBy: (ours, bytes) => {
      // Not one byte passed through the socket's write(): the kernel sent them all.
      expect(ours.bytesWritten).to.equal(0);
      expect(bytesSentByKernel(ours)).to.equal(bytes);
    },
  },
];

for (const { name, send, needsAddon, sentBy } of SENDERS) {
  describe(`server/transfer: a file range through ${name}`, function () {
    const fixture = useRangeFixture('senders', needsAddon ? skipWithoutSendfile : undefined);
    const { pair, fileWith } = fixture;

    it('sends the range from its start to its end, intact, and closes the file', async function () {
      const content = randomBytes(5 * 1024 * 1024 + 123);
      const path = join(fixture.dir.path, 'range.bin');
      await writeFile(path, content);
      const range = new FileRange(openSync(path, 'r'), 1000, content.length - 7);
      const [ours, client] = await pair();
      const received = collect(client);
      await send(range, ours);
      const expected = content.subarray(1000, content.length - 7);
      expect(sha256Buffer(await received)).to.equal(sha256Buffer(expected));
      sentBy?.(ours, expected.length);
      expect(() => range.fd).to.throw(/closed/);
      expect(descriptorsOn(path)).to.equal(0);
    });

    it('a client that ends its side mid-file: rejects, as the download did not complete', async function () {
      const { range } = await fileWith('half.bin', randomBytes(64 * 1024 * 1024));
      const [ours, client] = await pair();
      const sent = send(range, ours);
      await once(client, 'data');
      client.pause();
      client.end();
      expect(await rejectionOf(sent)).to.be.instanceOf(Error);
    });

    it('a file that shrank since it was opened: sends what it still has and ends', async function () {
      const content = randomBytes(3 * 1024 * 1024);
      const { path, range } = await fileWith('shrunk.bin', content);
      truncateSync(path, 1024 * 1024 + 5);
      const [ours, client] = await pair();
      const received = collect(client);
      await send(range, ours);
      expect((await received).equals(content.subarray(0, 1024 * 1024 + 5))).to.equal(true);
    });

    it('a read that fails: rejects with the FtpError that says so, and closes the file', async function () {
      // A directory opens for reading, and every read of it fails (EISDIR); sendfile refuses it
      // (EINVAL) before any byte, and the buffers take over.
      const range = new FileRange(openSync(fixture.dir.path, 'r'), 0, 4 * 1024 * 1024);
      const [ours, client] = await pair();
      const received = collect(client).catch(() => Buffer.alloc(0));
      const error = await rejectionOf(send(range, ours));
      expect(error instanceof FtpError && error.replyCode).to.equal(550);
      expect(() => range.fd).to.throw(/closed/);
      expect((await received).length).to.equal(0);
    });
  });
}
