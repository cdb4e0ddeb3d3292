import { expect } from 'chai';
import { Observers, type ServerObserver, type TransferRecord } from '../../../src/server/observe/observer.js';
import { RawControl } from '../../helpers/raw-control.js';
import { startServer } from '../../helpers/start-server.js';

describe('server observers', function () {
  it('keeps calling the others when one throws, and reports that one once', function () {
    const errors: unknown[] = [];
    const observers = new Observers((err) => errors.push(err));
    const heard: number[] = [];
    observers.add({
      reply() {
        throw new Error('broken observer');
      },
    });
    observers.add({ reply: (code) => heard.push(code) });
    observers.reply(220);
    observers.reply(230);
    expect(heard).to.deep.equal([220, 230]);
    expect(errors).to.have.length(1);
    expect((errors[0] as Error).message).to.equal('broken observer');
  });

  it("tells a library user's observer of a listing as it ended, with its mode and user", async function () {
    const server = await startServer();
    const records: TransferRecord[] = [];
    const observer: ServerObserver = { transfer: (record) => records.push(record) };
    server.server.observers.add(observer);
    const control = await RawControl.connect(server.host, server.port);
    try {
      await control.login(server.user, server.password);
      const { data } = await control.passive(server.host);
      expect((await control.command('LIST')).code).to.equal(150);
      expect((await control.read()).code).to.equal(226);
      await data;
    } finally {
      await control.close();
      await server.close();
    }
    expect(records).to.have.length(1);
    expect(records[0]).to.include({
      direction: 'list',
      path: '/',
      ok: true,
      aborted: false,
      mode: 'passive',
      user: server.user,
      anonymous: false,
      ip: '127.0.0.1',
    });
  });
});
