import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { openSync, truncateSync } from 'node:fs';
import type { Socket } from 'node:net';
import { FtpError } from '../../../src/protocol/index.js';
import { FileRange } from '../../../src/server/fs/file-range.js';
import { pumpFile } from '../../../src/server/transfer/file-pump.js';
import { sendFileRange } from '../../../src/server/transfer/kernel-pump.js';
import { collect } from '../../helpers/raw-control.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { skipWithoutSendfile, useRangeFixture } from './range-fixture.js';

/** What both ways of sending a file range must do alike (each one's own cases are in its file). */
const SENDERS: {
  name: string;
  send: (range: FileRange, socket: Socket) => Promise<void>;
  needsAddon: boolean;
}[] = [
  { name: 'buffers (file-pump)', send: pumpFile, needsAddon: false },
  {
    name: 'sendfile (kernel-pump)',
    send: (range, socket) => sendFileRange(range, socket, true),
    needsAddon: true,
  },
];

for (const { name, send, needsAddon } of SENDERS) {
  describe(`server/transfer: a file range through ${name}`, function () {
    const fixture = useRangeFixture('senders', needsAddon ? skipWithoutSendfile : undefined);
    const { pair, fileWith } = fixture;

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
