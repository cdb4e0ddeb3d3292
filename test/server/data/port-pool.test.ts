import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { DataConnectionError } from '../../../src/protocol/errors.js';
import { Reply } from '../../../src/protocol/reply-codes.js';
import {
  ephemeralRange,
  listenOnFreePort,
  randomOddPort,
  validatePortRange,
} from '../../../src/server/data/port-pool.js';
import { closeServer, findFreeRange, listen, portOf } from './net-helpers.js';

describe('server/data/port-pool', () => {
  const servers: Server[] = [];

  function fresh(): Server {
    const server = createServer();
    servers.push(server);
    return server;
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeServer));
  });

  it('listens on an ephemeral port when no range is configured', async () => {
    const server = fresh();
    const port = await listenOnFreePort(server, { host: '127.0.0.1', backlog: 4 });
    expect(server.listening).to.equal(true);
    expect(port).to.equal(portOf(server));
    expect(port).to.be.greaterThan(0);
  });

  it('without a range, takes distinct ports from the range the system uses for port 0', async () => {
    const range = ephemeralRange();
    if (process.platform === 'linux') {
      const [min, max] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
      expect(range).to.deep.equal({ min: Number(min), max: Number(max) });
    }
    const ports: number[] = [];
    for (let i = 0; i < 8; i++)
      ports.push(await listenOnFreePort(fresh(), { host: '127.0.0.1', backlog: 4 }));
    for (const port of ports) expect(port).to.be.within(range.min, range.max);
    expect(new Set(ports).size).to.equal(8);
    // Odd, as the kernel's own picks for port 0: clients' outgoing connections take even ones.
    for (const port of ports) expect(port % 2).to.equal(1);
  });

  it('picks odd ports within any range, and the one port of a range that has no odd one', () => {
    for (const range of [
      { min: 1000, max: 1001 },
      { min: 1001, max: 1001 },
      { min: 1001, max: 1009 },
      { min: 32768, max: 60999 },
    ]) {
      for (let i = 0; i < 50; i++) {
        const port = randomOddPort(range);
        expect(port % 2, `${port} from ${range.min}-${range.max}`).to.equal(1);
        expect(port).to.be.within(range.min, range.max);
      }
    }
    expect(randomOddPort({ min: 1000, max: 1000 })).to.equal(1000);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(randomOddPort({ min: 1000, max: 1007 }));
    expect([...seen].sort()).to.deep.equal([1001, 1003, 1005, 1007]);
  });

  it('stays inside the range and gives each listener a different port', async () => {
    const range = await findFreeRange('127.0.0.1', 4);
    const ports: number[] = [];
    for (let i = 0; i < 4; i++) {
      ports.push(await listenOnFreePort(fresh(), { host: '127.0.0.1', range, backlog: 4 }));
    }
    for (const port of ports) expect(port).to.be.within(range.min, range.max);
    expect(new Set(ports).size).to.equal(4);
  });

  it('skips ports that are taken', async () => {
    const range = await findFreeRange('127.0.0.1', 3);
    servers.push(await listen('127.0.0.1', range.min), await listen('127.0.0.1', range.min + 2));
    for (let i = 0; i < 3; i++) {
      const server = fresh();
      expect(await listenOnFreePort(server, { host: '127.0.0.1', range, backlog: 4 })).to.equal(
        range.min + 1,
      );
      await closeServer(server);
    }
  });

  it('rotates through the range instead of reusing the port just released', async () => {
    const range = await findFreeRange('127.0.0.1', 3);
    const first = fresh();
    const firstPort = await listenOnFreePort(first, { host: '127.0.0.1', range, backlog: 4 });
    await closeServer(first);
    const secondPort = await listenOnFreePort(fresh(), { host: '127.0.0.1', range, backlog: 4 });
    expect(secondPort).to.not.equal(firstPort);
    expect(secondPort).to.be.within(range.min, range.max);
  });

  it('fails with a 425 "No passive port available." when the whole range is taken', async () => {
    const range = await findFreeRange('127.0.0.1', 2);
    servers.push(await listen('127.0.0.1', range.min), await listen('127.0.0.1', range.max));
    const server = fresh();
    try {
      await listenOnFreePort(server, { host: '127.0.0.1', range, backlog: 4 });
      expect.fail('expected no port to be available');
    } catch (error) {
      expect(error).to.be.instanceOf(DataConnectionError);
      expect((error as DataConnectionError).replyCode).to.equal(Reply.CantOpenData);
      expect((error as Error).message).to.equal('No passive port available.');
    }
    expect(server.listening).to.equal(false);
  });

  it('reports other bind failures with their reason instead of skipping them', async () => {
    // 192.0.2.1 (TEST-NET-1) is never a local address, so binding it fails with EADDRNOTAVAIL.
    try {
      await listenOnFreePort(fresh(), { host: '192.0.2.1', backlog: 4 });
      expect.fail('expected the bind to fail');
    } catch (error) {
      expect(error).to.be.instanceOf(DataConnectionError);
      expect((error as Error).message).to.match(/192\.0\.2\.1: local address not available/);
    }
  });

  it('rejects invalid ranges', () => {
    expect(() => validatePortRange({ min: 2000, max: 1999 })).to.throw(RangeError);
    expect(() => validatePortRange({ min: 0, max: 10 })).to.throw(RangeError);
    expect(() => validatePortRange({ min: 60000, max: 70000 })).to.throw(RangeError);
    expect(() => validatePortRange({ min: 1.5, max: 10 })).to.throw(RangeError);
    expect(() => validatePortRange({ min: 50000, max: 50000 })).to.not.throw();
  });
});
