// Storage that fails on purpose, and clients that misbehave mid-transfer: each case gets the right
// reply, the file that was there stays as it was, nothing half-written or temporary is left, the
// session goes on, and no socket, server or timer is left behind.
import { expect } from 'chai';
import { once } from 'node:events';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseEpsvReply } from '../../src/protocol/index.js';
import { UPLOAD_TEMP_PREFIX } from '../../src/server/fs/confine.js';
import { descriptorsOn } from '../helpers/descriptors.js';
import { FaultPlan, faultyFileSystem, MIDWAY_BYTES, type Fault } from '../helpers/faulty-fs.js';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { waitFor } from '../helpers/wait.js';

/** Sockets, servers and timers this process holds. */
function openHandles(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.length;
}

const ORIGINAL = 'the original content, which must survive';
const BIG = 4 * 1024 * 1024;

describe('faults: storage that fails, clients that vanish', function () {
  let server: TestServer;
  let plan: FaultPlan;
  let control: RawControl;
  let baseline: number;

  beforeEach(async function () {
    plan = new FaultPlan();
    server = await startServer({
      createFileSystem: (account) => faultyFileSystem(account.home, plan),
      options: { dataTimeoutMs: 500 },
    });
    await writeFile(join(server.root, 'keep.txt'), ORIGINAL);
    await writeFile(join(server.root, 'big.bin'), '');
    await truncate(join(server.root, 'big.bin'), BIG);
    control = await RawControl.connect(server.host, server.port);
    await control.login(server.user, server.password);
    expect((await control.command('TYPE I')).code).to.equal(200);
    baseline = openHandles();
  });

  afterEach(async function () {
    await control.close();
    await server.close();
  });

  /** The session still works, nothing temporary is left, and no handle outlives the case. */
  async function intact(): Promise<void> {
    expect((await control.command('NOOP')).code).to.equal(200);
    expect(await readFile(join(server.root, 'keep.txt'), 'utf8')).to.equal(ORIGINAL);
    const names = await readdir(server.root, { recursive: true });
    expect(names.filter((name) => name.includes(UPLOAD_TEMP_PREFIX))).to.deep.equal([]);
    await waitFor(
      () => openHandles() <= baseline,
      3000,
      `handles back to ${baseline} (now ${openHandles()})`,
    );
  }

  const uploadCodes: [Fault, number][] = [
    [{ op: 'write', at: 'start', error: 'ENOSPC' }, 452],
    [{ op: 'write', at: 'start', error: 'EIO' }, 451],
    [{ op: 'write', at: 'start', error: 'EACCES' }, 550],
    [{ op: 'write', at: 'midway', error: 'ENOSPC' }, 452],
    [{ op: 'write', at: 'midway', error: 'EIO' }, 451],
    [{ op: 'write', at: 'midway', error: 'stall' }, 426],
  ];
  for (const [fault, code] of uploadCodes) {
    it(`STOR over a file with ${fault.error} at the ${fault.at}: ${code}, the old file intact`, async function () {
      plan.add(fault);
      const { socket } = await control.passive(server.host, true);
      socket.on('error', () => undefined);
      const first = await control.command('STOR keep.txt');
      if (fault.at === 'start') {
        expect(first.code).to.equal(code);
        socket.destroy();
      } else {
        expect(first.code).to.equal(150);
        // More than the fault lets through; the server may stop reading part-way.
        socket.end(Buffer.alloc(MIDWAY_BYTES * 4, 7));
        expect((await control.read(5000)).code).to.equal(code);
      }
      await intact();
    });
  }

  const downloadCodes: [Fault, number][] = [
    [{ op: 'read', at: 'start', error: 'EACCES' }, 550],
    [{ op: 'read', at: 'start', error: 'EIO' }, 451],
    [{ op: 'read', at: 'midway', error: 'EIO' }, 451],
    [{ op: 'read', at: 'midway', error: 'stall' }, 426],
  ];
  for (const [fault, code] of downloadCodes) {
    it(`RETR with ${fault.error} at the ${fault.at}: ${code}, and the session goes on`, async function () {
      plan.add(fault);
      const { socket, data } = await control.passive(server.host, true);
      socket.on('error', () => undefined);
      const first = await control.command('RETR big.bin');
      if (fault.at === 'start') {
        expect(first.code).to.equal(code);
        socket.destroy();
      } else {
        expect(first.code).to.equal(150);
        expect((await control.read(5000)).code).to.equal(code);
        // What arrived is a prefix at most: never more than the file had.
        expect((await data.catch(() => Buffer.alloc(0))).length).to.be.at.most(MIDWAY_BYTES);
      }
      await intact();
    });
  }

  const commandCodes: [Fault, string, number][] = [
    [{ op: 'list', at: 'start', error: 'EIO' }, 'MLSD', 451],
    [{ op: 'list', at: 'start', error: 'EACCES' }, 'LIST', 550],
    [{ op: 'rename', at: 'start', error: 'EACCES' }, 'RNTO moved.txt', 550],
    [{ op: 'rename', at: 'start', error: 'EIO' }, 'RNTO moved.txt', 451],
    [{ op: 'mkdir', at: 'start', error: 'ENOSPC' }, 'MKD newdir', 452],
    [{ op: 'mkdir', at: 'start', error: 'EACCES' }, 'MKD newdir', 550],
  ];
  for (const [fault, command, code] of commandCodes) {
    it(`${command.split(' ')[0]} with ${fault.error}: ${code}`, async function () {
      plan.add(fault);
      if (command.startsWith('RNTO')) expect((await control.command('RNFR keep.txt')).code).to.equal(350);
      if (command === 'MLSD' || command === 'LIST') {
        const { socket } = await control.passive(server.host, true);
        socket.on('error', () => undefined);
        expect((await control.command(command)).code).to.equal(code);
        socket.destroy();
      } else {
        expect((await control.command(command)).code).to.equal(code);
      }
      expect(await readdir(server.root)).to.have.members(['keep.txt', 'big.bin']);
      await intact();
    });
  }

  for (const how of ['FIN', 'RST'] as const) {
    for (const which of ['control', 'data', 'both'] as const) {
      it(`a client vanishing mid-STOR (${which}, ${how}) leaves the old file and no temporary one`, async function () {
        const other = await RawControl.connect(server.host, server.port);
        await other.login(server.user, server.password);
        const { socket } = await other.passive(server.host, true);
        socket.on('error', () => undefined);
        expect((await other.command('STOR keep.txt')).code).to.equal(150);
        await new Promise<void>((resolve) => socket.write(Buffer.alloc(MIDWAY_BYTES, 1), () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const gone = (s: typeof socket): void => {
          if (how === 'RST') s.resetAndDestroy();
          else s.destroy();
        };
        if (which !== 'data') gone(other.socket);
        // A data connection that ends cleanly is the end of the file: only a reset, or the
        // control connection going first, makes the upload a failed one.
        if (which !== 'control') gone(socket);
        if (which === 'control') {
          await new Promise((resolve) => setTimeout(resolve, 100));
          socket.destroy();
        }
        if (which === 'data' && how === 'RST') expect((await other.read(5000)).code).to.equal(426);
        if (which === 'data' && how === 'FIN') expect((await other.read(5000)).code).to.equal(226);
        await other.close();
        await waitFor(() => server.server.sessionCount === 1, 3000, 'the session to end');
        const content = await readFile(join(server.root, 'keep.txt'));
        // A clean end of the data connection (FIN) is the end of the file in stream mode: with the
        // control connection still there the upload is whole; with both going at once, it is
        // whichever the server saw first. Never anything in between.
        if (which === 'data' && how === 'FIN') expect(content.length).to.equal(MIDWAY_BYTES);
        else if (which === 'both' && how === 'FIN') {
          expect([ORIGINAL.length, MIDWAY_BYTES]).to.include(content.length);
          await writeFile(join(server.root, 'keep.txt'), ORIGINAL);
        } else expect(content.toString()).to.equal(ORIGINAL);
        const names = await readdir(server.root);
        expect(names.filter((name) => name.includes(UPLOAD_TEMP_PREFIX))).to.deep.equal([]);
        if (which === 'data' && how === 'FIN') await writeFile(join(server.root, 'keep.txt'), ORIGINAL);
        await intact();
      });
    }
  }

  it('a client vanishing mid-RETR (RST on both) ends the transfer and its session cleanly', async function () {
    const other = await RawControl.connect(server.host, server.port);
    await other.login(server.user, server.password);
    const { socket } = await other.passive(server.host, true);
    socket.on('error', () => undefined);
    socket.pause();
    expect((await other.command('RETR big.bin')).code).to.equal(150);
    other.socket.resetAndDestroy();
    socket.resetAndDestroy();
    await waitFor(() => server.server.sessionCount === 1, 3000, 'the session to end');
    await intact();
  });

  it('downloads ended by ABOR, by a vanishing client or by a stalled one leave no descriptor open on the file', async function () {
    // Larger than what the socket buffers and the sender's own buffers hold, so that a client that
    // reads nothing stalls the transfer.
    const file = join(server.root, 'huge.bin');
    await writeFile(file, '');
    await truncate(file, 64 * 1024 * 1024);
    const stalled = async (): Promise<void> => {
      // Connected, and never read from.
      const socket = connect({
        host: server.host,
        port: parseEpsvReply((await control.command('EPSV')).text),
      });
      socket.pause();
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      expect((await control.command('RETR huge.bin')).code).to.equal(150);
      // The data timeout (500 ms) gives up on a client that reads nothing.
      expect((await control.read(3000)).code).to.equal(426);
      socket.destroy();
    };
    for (const type of ['I', 'A']) {
      expect((await control.command(`TYPE ${type}`)).code).to.equal(200);
      for (let i = 0; i < 3; i++) {
        const { socket } = await control.passive(server.host, true);
        socket.pause();
        expect((await control.command(`REST ${i * 1000}`)).code).to.equal(350);
        expect((await control.command('RETR huge.bin')).code).to.equal(150);
        expect((await control.command('ABOR')).code).to.equal(426);
        expect((await control.read()).code).to.equal(226);
        socket.destroy();
      }
      const other = await RawControl.connect(server.host, server.port);
      await other.login(server.user, server.password);
      expect((await other.command(`TYPE ${type}`)).code).to.equal(200);
      const { socket } = await other.passive(server.host, true);
      socket.on('error', () => undefined);
      expect((await other.command('RETR huge.bin')).code).to.equal(150);
      other.socket.resetAndDestroy();
      socket.resetAndDestroy();
      await stalled();
    }
    await waitFor(
      () => descriptorsOn(file) === 0,
      3000,
      `no descriptor on the file (now ${descriptorsOn(file)})`,
    );
    await intact();
  });

  it('an ABOR storm answers each ABOR, and REST beyond the end sends nothing', async function () {
    const { socket } = await control.passive(server.host, true);
    socket.pause();
    socket.on('error', () => undefined);
    expect((await control.command('RETR big.bin')).code).to.equal(150);
    control.send('ABOR\r\n'.repeat(20));
    const codes: number[] = [];
    for (let i = 0; i < 21; i++) codes.push((await control.read(3000)).code);
    expect(codes.slice(0, 2)).to.deep.equal([426, 226]);
    expect(codes.slice(2)).to.deep.equal(Array<number>(19).fill(225));
    socket.destroy();
    expect((await control.command(`REST ${BIG + 10}`)).code).to.equal(350);
    const { data } = await control.passive(server.host, true);
    const reply = await control.command('RETR big.bin');
    expect(reply.code).to.equal(150);
    expect((await control.read()).code).to.equal(226);
    expect((await data).length).to.equal(0);
    await intact();
  });

  it('fifty sessions sharing ten passive ports: 425 with a clear text when none is free, and recovery after', async function () {
    await control.close();
    await server.close();
    // Ten ports below the kernel's ephemeral range: no outgoing connection of this machine takes one.
    const lowestEphemeral = Number(
      (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).split(/\s+/)[0],
    );
    const min = Math.max(1024, Math.min(42_300, lowestEphemeral) - 1000);
    server = await startServer({ options: { pasvRange: { min, max: min + 9 } } });
    const sessions = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const session = await RawControl.connect(server.host, server.port);
        await session.login(server.user, server.password);
        return session;
      }),
    );
    try {
      const replies = await Promise.all(sessions.map((session) => session.command('EPSV')));
      const granted = replies.filter((reply) => reply.code === 229).length;
      const refused = replies.filter((reply) => reply.code === 425);
      expect(granted).to.equal(10);
      expect(refused).to.have.length(40);
      expect(refused[0]?.text).to.match(/passive|port/i);
      // Ports come back once the sessions that hold them move on.
      for (const [i, reply] of replies.entries()) {
        if (reply.code === 229) await sessions[i]?.command('PORT 127,0,0,1,4,1');
      }
      const again = await Promise.all(sessions.slice(0, 10).map((session) => session.command('EPSV')));
      expect(again.filter((reply) => reply.code === 229)).to.have.length(10);
    } finally {
      for (const session of sessions) await session.close();
    }
    control = await RawControl.connect(server.host, server.port);
  });
});
