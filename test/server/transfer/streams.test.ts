import { expect } from 'chai';
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { receiveFromSocket, sendToSocket } from '../../../src/server/transfer/streams.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { closeServer, closed, connectTo, listen, portOf, readAll } from '../data/net-helpers.js';

/** A connected pair on loopback: [the server's end, the client's end]. */
async function socketPair(server: Server): Promise<[Socket, Socket]> {
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = await connectTo('127.0.0.1', portOf(server));
  const [ours] = await accepted;
  return [ours, client];
}

/** Counts the calls, so a test can tell whether a transfer asked for its signal. */
function signalSource(controller = new AbortController()): {
  signal: () => AbortSignal;
  calls: () => number;
} {
  let calls = 0;
  return {
    signal: () => {
      calls++;
      return controller.signal;
    },
    calls: () => calls,
  };
}

/** A Writable that keeps what it is given. */
function collector(): { target: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const target = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { target, text: () => Buffer.concat(chunks).toString() };
}

describe('server/transfer/streams', () => {
  let server: Server;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    server = await listen('127.0.0.1');
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await closeServer(server);
  });

  async function pair(): Promise<[Socket, Socket]> {
    const both = await socketPair(server);
    sockets.push(...both);
    return both;
  }

  it('sends a small binary buffer in one write, closes at once and never asks for a signal', async () => {
    const [ours, client] = await pair();
    const source = signalSource();
    const received = readAll(client);
    expect(sendToSocket(Buffer.from('small file'), ours, false, source.signal, true)).to.equal(undefined);
    expect(ours.destroyed).to.equal(true);
    expect(await received).to.equal('small file');
    expect(source.calls()).to.equal(0);
  });

  it('pipes a stream with the signal and turns LF into CRLF in ASCII mode', async () => {
    const [ours, client] = await pair();
    const source = signalSource();
    const received = readAll(client);
    await sendToSocket(Readable.from([Buffer.from('a\nb\n')]), ours, true, source.signal, true);
    expect(await received).to.equal('a\r\nb\r\n');
    expect(source.calls()).to.equal(1);
  });

  it('an abort stops a running download: the promise rejects and the source is destroyed', async () => {
    const [ours, client] = await pair();
    const controller = new AbortController();
    const source = new PassThrough();
    const running = sendToSocket(source, ours, false, signalSource(controller).signal, true);
    if (running === undefined) throw new Error('a stream source must give a running transfer');
    source.write('first part');
    controller.abort();
    await rejectionOf(running);
    expect(source.destroyed).to.equal(true);
    client.resume();
    await closed(client);
  });

  it('receives into the target, CRLF to LF in ASCII mode, and an abort rejects and destroys it', async () => {
    const [ours, client] = await pair();
    const { target, text } = collector();
    client.end('one\r\ntwo\r\n');
    await receiveFromSocket(ours, target, true, signalSource().signal);
    expect(text()).to.equal('one\ntwo\n');

    const [ours2, client2] = await pair();
    const controller = new AbortController();
    const stalled = new PassThrough();
    const receiving = receiveFromSocket(ours2, stalled, true, signalSource(controller).signal);
    client2.write('partial');
    controller.abort();
    await rejectionOf(receiving);
    expect(stalled.destroyed).to.equal(true);
  });

  it('receives a binary upload byte for byte without asking for a signal', async () => {
    const [ours, client] = await pair();
    const source = signalSource();
    const { target, text } = collector();
    client.end('one\r\ntwo\r\n');
    await receiveFromSocket(ours, target, false, source.signal);
    expect(text()).to.equal('one\r\ntwo\r\n');
    expect(source.calls()).to.equal(0);
  });

  it('a binary upload whose socket is destroyed (ABOR) rejects and destroys the target', async () => {
    const [ours, client] = await pair();
    const target = new PassThrough();
    const receiving = receiveFromSocket(ours, target, false, signalSource().signal);
    client.write('partial');
    await once(target, 'data');
    ours.destroy();
    expect((await rejectionOf(receiving)).message).to.match(/closed before the upload ended/);
    expect(target.destroyed).to.equal(true);
  });

  it('a binary upload into a target that fails rejects with its error and closes the socket', async () => {
    const [ours, client] = await pair();
    const failing = new Writable({
      write(_chunk: Buffer, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    const receiving = receiveFromSocket(ours, failing, false, signalSource().signal);
    client.write('data');
    expect((await rejectionOf(receiving)).message).to.equal('disk full');
    expect(ours.destroyed).to.equal(true);
    client.resume();
    await closed(client);
  });
});
