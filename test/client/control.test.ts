import { expect } from 'chai';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { pino } from 'pino';
import { ControlConnection, maskCommand, type ControlOptions } from '../../src/client/control.js';
import { ClientTimeoutError, ConnectionClosedError } from '../../src/client/errors.js';
import { FtpClient } from '../../src/client/client.js';
import type { ProtocolLine } from '../../src/client/options.js';
import { Limits, ProtocolViolationError, type FtpReply } from '../../src/protocol/index.js';
import { waitFor } from '../helpers/wait.js';
import { rejectionOf } from '../helpers/rejection.js';
import { FakeServer, type FakeSession } from './fake-server.js';

/**
 * Writes each piece only after the client has received all earlier ones, so the client's socket
 * sees exactly these chunks (TCP may not coalesce what has not been sent yet).
 */
async function deliverInPieces(server: Socket, client: Socket, pieces: readonly Buffer[]): Promise<void> {
  let received = 0;
  let target = 0;
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received >= target) wake?.();
  };
  client.on('data', onData);
  try {
    for (const piece of pieces) {
      target += piece.length;
      const arrived = new Promise<void>((resolve) => (wake = resolve));
      server.write(piece);
      await arrived;
    }
  } finally {
    client.off('data', onData);
  }
}

describe('client/control', () => {
  let fake: FakeServer | undefined;
  const controls: ControlConnection[] = [];
  const clients: FtpClient[] = [];

  async function start(options: Parameters<typeof FakeServer.start>[0] = {}): Promise<FakeServer> {
    fake = await FakeServer.start(options);
    return fake;
  }

  async function open(
    server: FakeServer,
    options: Partial<ControlOptions> = {},
  ): Promise<{ control: ControlConnection; greeting: FtpReply; session: FakeSession }> {
    const index = server.sessions.length;
    const { control, greeting } = await ControlConnection.open(server.host, server.port, {
      connectTimeoutMs: 5000,
      replyTimeoutMs: 5000,
      ...options,
    });
    controls.push(control);
    return { control, greeting, session: await server.session(index) };
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    for (const control of controls.splice(0)) {
      control.destroy();
      await control.closed;
    }
    await fake?.close();
    fake = undefined;
  });

  describe('reply framing', () => {
    // Three replies to three queued commands, with a multi-line reply whose middle line starts with
    // digits and a UTF-8 character that a split can cut in half.
    const blob = Buffer.from('200 one\r\n257-multi\r\n123 inside\r\n257 end\r\n211 three ✓\r\n');

    function checkReplies(replies: FtpReply[], what: string): void {
      expect(
        replies.map((r) => r.code),
        what,
      ).to.deep.equal([200, 257, 211]);
      expect(replies[0]?.text, what).to.equal('one');
      expect(replies[1]?.lines, what).to.deep.equal(['multi', '123 inside', 'end']);
      expect(replies[2]?.text, what).to.equal('three ✓');
    }

    async function runWithPieces(server: FakeServer, pieces: readonly Buffer[]): Promise<void> {
      const { control, session } = await open(server);
      const pending = [control.send('NOOP'), control.send('PWD'), control.send('STAT')];
      await session.waitForLines(1);
      await deliverInPieces(session.socket, control.socket, pieces);
      const what = `pieces of [${pieces.map((p) => p.length).join(', ')}]`;
      checkReplies(await Promise.all(pending), what);
      // Each command went out only after the previous one's reply had been read.
      await session.waitForLines(3);
      expect(session.lines, what).to.deep.equal(['NOOP', 'PWD', 'STAT']);
      control.destroy();
      await control.closed;
    }

    it('matches replies split at every byte position to the right commands, in order', async () => {
      // The script answers from the test, so the fake's handlers must stay quiet.
      const quiet = { NOOP: () => undefined, PWD: () => undefined, STAT: () => undefined };
      const server = await start({ handlers: quiet });
      for (let at = 1; at < blob.length; at++) {
        await runWithPieces(server, [blob.subarray(0, at), blob.subarray(at)]);
      }
    });

    it('matches replies that arrive one byte per packet', async () => {
      const server = await start({
        handlers: { NOOP: () => undefined, PWD: () => undefined, STAT: () => undefined },
      });
      await runWithPieces(
        server,
        Array.from(blob, (byte) => Buffer.from([byte])),
      );
    });

    it('matches several replies coalesced into one packet', async () => {
      const server = await start({
        handlers: { NOOP: (s) => s.write(blob), PWD: () => undefined, STAT: () => undefined },
      });
      const { control, session } = await open(server);
      const replies = await Promise.all([control.send('NOOP'), control.send('PWD'), control.send('STAT')]);
      checkReplies(replies, 'one packet');
      await session.waitForLines(3);
      expect(session.lines).to.deep.equal(['NOOP', 'PWD', 'STAT']);
    });

    it('hands a 1xx to onPreliminary and resolves with the final reply of the same packet', async () => {
      const server = await start({
        handlers: { RETR: (s) => s.write('150 Opening (12 bytes).\r\n226 Done.\r\n') },
      });
      const { control } = await open(server);
      const preliminaries: FtpReply[] = [];
      const reply = await control.send('RETR', 'f', { onPreliminary: (r) => preliminaries.push(r) });
      expect(preliminaries.map((r) => r.code)).to.deep.equal([150]);
      expect(reply.code).to.equal(226);
      expect((await control.send('NOOP')).code).to.equal(200);
    });

    it('reads a multi-line reply whose lines all repeat the code', async () => {
      const server = await start({
        handlers: {
          FEAT: (s) => {
            s.write('211-Features:\r\n211-SIZE\r\n MDTM\r\n211 End\r\n');
          },
        },
      });
      const { control } = await open(server);
      const reply = await control.send('FEAT');
      expect(reply.code).to.equal(211);
      expect(reply.lines).to.deep.equal(['Features:', 'SIZE', ' MDTM', 'End']);
    });
  });

  describe('greeting', () => {
    it('skips a 120 before the 220 greeting, both in one packet', async () => {
      const seen: ProtocolLine[] = [];
      const server = await start({ greeting: '120 Ready in a moment.\r\n220 Ready now.\r\n' });
      const { control, greeting } = await open(server, { onProtocol: (line) => seen.push(line) });
      expect(greeting.code).to.equal(220);
      expect(greeting.text).to.equal('Ready now.');
      expect(seen.map((l) => l.text)).to.deep.equal(['120 Ready in a moment.', '220 Ready now.']);
      expect((await control.send('NOOP')).code).to.equal(200);
    });

    it('waits past a 120 that arrives alone for the 220', async () => {
      const server = await start({ greeting: '' });
      const seen: string[] = [];
      let settled = false;
      const opening = ControlConnection.open(server.host, server.port, {
        connectTimeoutMs: 5000,
        replyTimeoutMs: 5000,
        onProtocol: (line) => seen.push(line.text),
      });
      opening.then(
        (result) => {
          controls.push(result.control);
          settled = true;
        },
        () => (settled = true),
      );
      const session = await server.session();
      session.write('120 Wait.\r\n');
      await waitFor(() => seen.length === 1, 5000, 'the 120 to be read');
      // A client that took the 120 for the greeting would have settled by the next turn.
      await setImmediate();
      expect(settled).to.equal(false);
      session.write('220 Now.\r\n');
      const { greeting } = await opening;
      expect(greeting.code).to.equal(220);
      expect(seen).to.deep.equal(['120 Wait.', '220 Now.']);
    });

    it('rejects with ConnectionClosedError when nothing listens', async () => {
      const server = await start();
      const port = server.port;
      await server.close();
      fake = undefined;
      const error = await rejectionOf(
        ControlConnection.open('127.0.0.1', port, { connectTimeoutMs: 5000, replyTimeoutMs: 5000 }),
      );
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect((error.cause as NodeJS.ErrnoException | undefined)?.code).to.equal('ECONNREFUSED');
    });

    it('refuses a session whose greeting is not 220', async () => {
      const server = await start({ greeting: '421 Too many users.\r\n' });
      const error = await rejectionOf(
        ControlConnection.open(server.host, server.port, { connectTimeoutMs: 5000, replyTimeoutMs: 5000 }),
      );
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(error.message).to.contain('421');
    });

    it('times out a server that never greets', async () => {
      const server = await start({ greeting: '' });
      const started = Date.now();
      const error = await rejectionOf(
        ControlConnection.open(server.host, server.port, { connectTimeoutMs: 100, replyTimeoutMs: 5000 }),
      );
      expect(error).to.be.instanceOf(ClientTimeoutError);
      expect(error).to.include({ phase: 'connect', code: 'ERR_FTP_TIMEOUT' });
      expect(Date.now() - started).to.be.at.least(90);
    });
  });

  describe('queueing', () => {
    it('does not write the second command before the first one has its final reply', async () => {
      const server = await start({
        handlers: {
          // A slow answer gives a client that writes ahead every chance to do so.
          NOOP: async (s) => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            s.reply('150 Still thinking.');
            await new Promise((resolve) => setTimeout(resolve, 50));
            s.reply('200 First done.');
          },
        },
      });
      const { control, session } = await open(server);
      const first = control.send('NOOP');
      const second = control.send('PWD');
      const third = control.send('SYST');
      const replies = await Promise.all([first, second, third]);
      expect(replies.map((r) => r.code)).to.deep.equal([200, 257, 502]);
      expect(server.log.slice(1)).to.deep.equal([
        'C: NOOP',
        'S: 150 Still thinking.',
        'S: 200 First done.',
        'C: PWD',
        'S: 257 "/" is the current directory.',
        'C: SYST',
        'S: 502 Not implemented.',
      ]);
      expect(session.lines).to.deep.equal(['NOOP', 'PWD', 'SYST']);
    });
  });

  describe('sendNow', () => {
    it('writes ABOR during a transfer at once, ahead of queued commands, and matches its reply', async () => {
      const server = await start({
        handlers: {
          RETR: async (s) => {
            s.reply('150 Sending.');
            await s.waitForLines(2);
            s.write('426 Transfer aborted.\r\n226 ABOR successful.\r\n');
          },
          // RETR's handler answers for ABOR, as servers answer both at once.
          ABOR: () => undefined,
        },
      });
      const { control, session } = await open(server);
      let started: () => void = () => undefined;
      const preliminary = new Promise<void>((resolve) => (started = resolve));
      const retr = control.send('RETR', 'f', {
        untimedAfterPreliminary: true,
        onPreliminary: () => started(),
      });
      const pwd = control.send('PWD');
      await preliminary;
      const abor = control.sendNow('ABOR');
      const [retrReply, aborReply, pwdReply] = await Promise.all([retr, abor, pwd]);
      expect(retrReply.code).to.equal(426);
      expect(aborReply.code).to.equal(226);
      expect(pwdReply.code).to.equal(257);
      expect(session.lines).to.deep.equal(['RETR f', 'ABOR', 'PWD']);
    });
  });

  describe('closing on failure', () => {
    it('a reply timeout rejects the command with a ClientTimeoutError, and closes the connection for the others', async () => {
      const server = await start({ handlers: { NOOP: () => undefined } });
      const { control, session } = await open(server, { replyTimeoutMs: 100 });
      const started = Date.now();
      const first = rejectionOf(control.send('NOOP'));
      const second = rejectionOf(control.send('PWD'));
      const timeout = await first;
      expect(Date.now() - started).to.be.at.least(90);
      expect(timeout).to.be.instanceOf(ClientTimeoutError);
      expect(timeout).to.include({ phase: 'reply', message: 'No reply to NOOP within 100 ms.' });
      const closed = await second;
      expect(closed).to.be.instanceOf(ConnectionClosedError);
      expect(closed.cause).to.equal(timeout);
      expect(control.closedReason).to.equal(closed);
      expect(await rejectionOf(control.send('NOOP'))).to.equal(closed);
      if (!session.socket.closed) await once(session.socket, 'close');
      // The queued command was never written.
      expect(session.lines).to.deep.equal(['NOOP']);
    });

    it('the reply timer does not run while the connection is idle', async () => {
      const server = await start();
      const { control } = await open(server, { replyTimeoutMs: 50 });
      await control.send('NOOP');
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(control.closedReason).to.equal(undefined);
      expect((await control.send('NOOP')).code).to.equal(200);
    });

    it('an unsolicited 421 closes the connection', async () => {
      const server = await start();
      const { control, session } = await open(server);
      session.reply('421 Service shutting down.');
      await control.closed;
      const reason = control.closedReason;
      expect(reason).to.be.instanceOf(ConnectionClosedError);
      expect(reason?.message).to.contain('Service shutting down');
      expect(await rejectionOf(control.send('NOOP'))).to.equal(reason);
      expect(session.lines).to.deep.equal([]);
    });

    it('a 421 answering a command is that command’s reply, then the connection closes', async () => {
      const server = await start({ handlers: { NOOP: (s) => s.reply('421 Idle too long.') } });
      const { control } = await open(server);
      const first = control.send('NOOP');
      const second = rejectionOf(control.send('PWD'));
      expect((await first).code).to.equal(421);
      const error = await second;
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(control.closedReason).to.equal(error);
    });

    it('an unsolicited reply other than 421 closes the connection too (out of step)', async () => {
      const server = await start();
      const { control, session } = await open(server);
      session.reply('200 Surprise.');
      await control.closed;
      expect(control.closedReason).to.be.instanceOf(ConnectionClosedError);
      expect(control.closedReason?.message).to.contain('200');
    });

    it('a garbled reply closes the connection', async () => {
      const server = await start({ handlers: { NOOP: (s) => s.write('hello there\r\n') } });
      const { control } = await open(server);
      const noop = rejectionOf(control.send('NOOP'));
      const pwd = rejectionOf(control.send('PWD'));
      const error = await noop;
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(error.message).to.match(/garbled/i);
      expect(error.cause).to.be.instanceOf(ProtocolViolationError);
      expect(await pwd).to.equal(error);
      expect(await rejectionOf(control.send('NOOP'))).to.equal(error);
      await control.closed;
      expect(control.closedReason).to.equal(error);
    });

    it('a socket error is recorded once, as the reason every call gets', async () => {
      const server = await start({ handlers: { NOOP: (s) => void s.socket.resetAndDestroy() } });
      const { control } = await open(server);
      const noop = rejectionOf(control.send('NOOP'));
      const pwd = rejectionOf(control.send('PWD'));
      const error = await noop;
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect((error.cause as NodeJS.ErrnoException | undefined)?.code).to.equal('ECONNRESET');
      expect(await pwd).to.equal(error);
      // The 'close' that follows the error must not replace the reason.
      await control.closed;
      await setImmediate();
      expect(control.closedReason).to.equal(error);
      expect(await rejectionOf(control.send('NOOP'))).to.equal(error);
    });

    it('a reply that never ends closes the connection instead of filling memory', async () => {
      const line = `${'x'.repeat(1000)}\r\n`;
      const server = await start({
        handlers: {
          NOOP: (s) =>
            s.write(`200-start\r\n${line.repeat(Math.ceil(Limits.maxReplyBytes / line.length) + 1)}`),
        },
      });
      const { control } = await open(server);
      const error = await rejectionOf(control.send('NOOP'));
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(error.cause).to.be.instanceOf(ProtocolViolationError);
    });

    it('the server closing the connection fails the command in flight and every later one', async () => {
      const server = await start({ handlers: { NOOP: (s) => void s.socket.end() } });
      const { control } = await open(server);
      const error = await rejectionOf(control.send('NOOP'));
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(await rejectionOf(control.send('PWD'))).to.equal(error);
    });
  });

  describe('what is shown and what is sent', () => {
    it('masks PASS in onProtocol and in the logs, and sends the real password', async () => {
      const seen: ProtocolLine[] = [];
      const logged: string[] = [];
      const logger = pino(
        { level: 'debug' },
        new Writable({
          write(chunk: Buffer, _encoding, callback): void {
            logged.push(chunk.toString());
            callback();
          },
        }),
      );
      const server = await start();
      const { control, session } = await open(server, { onProtocol: (line) => seen.push(line), logger });
      await control.send('USER', 'bob');
      await control.send('PASS', 'hunter2 secret');
      expect(session.lines).to.deep.equal(['USER bob', 'PASS hunter2 secret']);
      expect(seen.filter((l) => l.direction === 'sent').map((l) => l.text)).to.deep.equal([
        'USER bob',
        'PASS ****',
      ]);
      expect(logged.join('')).to.contain('PASS ****');
      expect(logged.join('')).to.not.contain('hunter2');
      expect(seen.map((l) => l.text).join('\n')).to.not.contain('hunter2');
    });

    it('maskCommand hides any PASS argument, whatever the case, and nothing else', () => {
      expect(maskCommand('PASS hunter2\r\n')).to.equal('PASS ****');
      expect(maskCommand('pass hunter2')).to.equal('PASS ****');
      expect(maskCommand('Pass  two words')).to.equal('PASS ****');
      expect(maskCommand('PASV\r\n')).to.equal('PASV');
      expect(maskCommand('USER hunter2\r\n')).to.equal('USER hunter2');
      expect(maskCommand('RETR PASS file')).to.equal('RETR PASS file');
    });

    it('refuses CR, LF and NUL in a command with a TypeError and sends nothing', async () => {
      const server = await start();
      const { control, session } = await open(server);
      expect(() => control.send('NOOP', 'a\r\nDELE x')).to.throw(TypeError);
      expect(() => control.send('NOOP\r\nDELE', 'x')).to.throw(TypeError);
      expect(() => control.send('DELE', 'a\0b')).to.throw(TypeError);
      expect(() => control.sendNow('ABOR', 'x\ny')).to.throw(TypeError);
      expect((await control.send('NOOP')).code).to.equal(200);
      expect(session.lines).to.deep.equal(['NOOP']);
    });

    it('client.raw() with CR/LF inside rejects with a TypeError, sends nothing and stays usable', async () => {
      const server = await start();
      const client = await FtpClient.connect({
        host: server.host,
        port: server.port,
        user: 'u',
        password: 'p',
      });
      clients.push(client);
      const session = await server.session();
      const before = session.lines.length;
      for (const line of ['NOOP\r\nDELE x', 'DELE a\nb', 'DELE a\rb', 'DELE a\0b']) {
        const error = await rejectionOf(client.raw(line));
        expect(error, JSON.stringify(line)).to.be.instanceOf(TypeError);
      }
      expect(client.isOpen).to.equal(true);
      expect((await client.raw('NOOP')).code).to.equal(200);
      expect(session.lines.slice(before)).to.deep.equal(['NOOP']);
      expect(server.lines.join('\n')).to.not.contain('DELE');
    });
  });
});
