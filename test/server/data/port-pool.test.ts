import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { DataConnectionError } from '../../../src/protocol/errors.js';
import { Reply } from '../../../src/protocol/reply-codes.js';
import { ephemeralRange, listenOnFreePort, validatePortRange } from '../../../src/server/data/port-pool.js';
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
