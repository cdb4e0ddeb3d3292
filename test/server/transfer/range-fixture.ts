import { once } from 'node:events';
import { openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { FileRange } from '../../../src/server/fs/file-range.js';
import { sendfileAddon } from '../../../src/server/transfer/sendfile-addon.js';
import { skipWith } from '../../helpers/peers.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { closeServer, connectTo, listen, portOf } from '../data/net-helpers.js';

/** What the download tests of both senders need: files in a temporary folder, connected pairs. */
export interface RangeFixture {
  /** The temporary folder (set in before()). */
  readonly dir: TempDir;
  /** A connected pair on loopback: [the server's end, the client's end], destroyed after the test. */
  readonly pair: () => Promise<[Socket, Socket]>;
  /** A file with `content`, and a range of the whole of it. */
  readonly fileWith: (name: string, content: Buffer) => Promise<{ path: string; range: FileRange }>;
  /** Sockets destroyed after each test. */
  readonly sockets: Socket[];
}

/** Registers the hooks in the calling describe(); `skip` may skip the suite in before(). */
export function useRangeFixture(prefix: string, skip?: (ctx: Mocha.Context) => void): RangeFixture {
  let dir: TempDir | undefined;
  let server: Server | undefined;
  const sockets: Socket[] = [];

  before(async function () {
    skip?.(this);
    dir = await makeTempDir(prefix);
  });

  after(async function () {
    await dir?.remove();
  });

  beforeEach(async function () {
    server = await listen('127.0.0.1');
  });

  afterEach(async function () {
    for (const socket of sockets.splice(0)) socket.destroy();
    if (server !== undefined) await closeServer(server);
  });

  const fixture: RangeFixture = {
    get dir(): TempDir {
      if (dir === undefined) throw new Error('the fixture folder is made in before()');
      return dir;
    },
    sockets,
    pair: async () => {
      if (server === undefined) throw new Error('the fixture server is started in beforeEach()');
      const accepted = once(server, 'connection') as Promise<[Socket]>;
      const client = await connectTo('127.0.0.1', portOf(server));
      const [ours] = await accepted;
      client.on('error', () => undefined);
      ours.on('error', () => undefined);
      sockets.push(ours, client);
      return [ours, client];
    },
    fileWith: async (name, content) => {
      const path = join(fixture.dir.path, name);
      await writeFile(path, content);
      return { path, range: new FileRange(openSync(path, 'r'), 0, content.length) };
    },
  };
  return fixture;
}

/**
 * For useRangeFixture's `skip`: the sendfile cases need the add-on. Under CI a missing one fails
 * sendfile-addon.test, so skipping here hides nothing.
 */
export function skipWithoutSendfile(ctx: Mocha.Context): void {
  if (sendfileAddon === undefined) skipWith(ctx, 'the sendfile add-on is not built (npm run build:native)');
}
