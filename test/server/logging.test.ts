import { expect } from 'chai';
import { createLogger } from '../../src/server/logger.js';
import { memorySink } from '../helpers/memory-sink.js';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, USER, PASSWORD } from '../helpers/start-server.js';

describe('server logging', function () {
  it('logs commands and replies per session at debug level, never a password', async function () {
    const sink = memorySink();
    const server = await startServer({ logger: createLogger('debug', sink.stream) });
    try {
      const control = await RawControl.connect(server.host, server.port);
      await control.command(`USER ${USER}`);
      await control.command('PASS wrong-secret-1');
      await control.login(USER, PASSWORD);
      await control.command('NOOP');
      await control.close();
      const second = await RawControl.connect(server.host, server.port);
      await second.command('NOOP');
      await second.close();
    } finally {
      await server.close();
    }
    const lines = sink.lines();
    expect(sink.text()).not.to.contain('wrong-secret-1');
    expect(sink.text()).not.to.contain(PASSWORD);
    const commands = lines.filter((l) => l.msg === 'command');
    expect(commands.map((l) => l.command)).to.include.members([`USER ${USER}`, 'PASS ***', 'NOOP']);
    // Every line of a session carries its id and the peer address.
    const sids = new Set(commands.map((l) => l.sid));
    expect(sids.size).to.equal(2);
    for (const line of commands) expect(line.ip).to.equal('127.0.0.1');
    expect(lines.some((l) => l.msg === 'login failed' && l.user === USER)).to.equal(true);
    expect(lines.some((l) => l.msg === 'login' && l.user === USER)).to.equal(true);
  });

  it('redacts password fields whoever logs them', function () {
    const sink = memorySink();
    const logger = createLogger('info', sink.stream);
    logger.info({ password: 'hunter2', user: { password: 'hunter3' } }, 'oops');
    expect(sink.text()).not.to.contain('hunter2');
    expect(sink.text()).not.to.contain('hunter3');
  });
});
