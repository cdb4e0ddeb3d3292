// Password guessing and connections that never log in, as an attacker on one address tries them.
import { expect } from 'chai';
import { once } from 'node:events';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type StartOptions, type TestServer, USER, PASSWORD } from '../helpers/start-server.js';

describe('login defences', function () {
  let server: TestServer | undefined;
  const controls: RawControl[] = [];

  async function start(options: StartOptions): Promise<TestServer> {
    server = await startServer(options);
    return server;
  }

  async function connect(): Promise<RawControl> {
    if (server === undefined) throw new Error('no server');
    const control = await RawControl.connect(server.host, server.port);
    controls.push(control);
    return control;
  }

  /** USER then PASS on a fresh connection; the PASS reply and how long it took. */
  async function attempt(user: string, password: string): Promise<{ code: number; ms: number }> {
    const control = await connect();
    expect((await control.command(`USER ${user}`)).code).to.equal(331);
    const started = Date.now();
    const reply = await control.command(`PASS ${password}`, 10_000);
    return { code: reply.code, ms: Date.now() - started };
  }

  afterEach(async function () {
    for (const control of controls.splice(0)) await control.close();
    await server?.close();
    server = undefined;
  });

  it("bans an address after repeated failures: the right password, anyone's, is refused as a wrong one", async function () {
    await start({ anonymous: 'read', options: { banAfter: 3, failedLoginDelayMs: 0 } });
    for (let i = 0; i < 3; i++) expect((await attempt(USER, 'guess')).code).to.equal(530);
    const right = await attempt(USER, PASSWORD);
    expect(right.code).to.equal(530);
    // Anonymous would have let anyone wipe the record; it is refused like the rest.
    expect((await attempt('anonymous', 'me@example.com')).code).to.equal(530);
  });

  it('answers a right password after failures no faster than a wrong one', async function () {
    await start({ options: { banAfter: 0, failedLoginDelayMs: 100 } });
    for (let i = 0; i < 3; i++) await attempt(USER, 'guess');
    // Three recent failures: every answer from this address waits 100 ms x 2^2.
    const right = await attempt(USER, PASSWORD);
    expect(right.code).to.equal(230);
    expect(right.ms).to.be.at.least(380);
  });

  it('closes a connection that does not log in within --login-timeout (421), not one that did', async function () {
    await start({ options: { loginTimeoutMs: 200 } });
    const idle = await connect();
    const loggedIn = await connect();
    await loggedIn.login(USER, PASSWORD);
    expect((await idle.read(2000)).code).to.equal(421);
    if (!idle.isClosed) await once(idle.socket, 'close');
    expect((await loggedIn.command('NOOP')).code).to.equal(200);
  });

  it('refuses connections past --max-unauthenticated until one of them logs in', async function () {
    await start({ options: { maxUnauthenticated: 2 } });
    const first = await connect();
    await connect();
    const refused = await connect().catch((error: unknown) => error);
    // The refusal is a 421 greeting, then the close.
    expect(refused instanceof RawControl ? refused.greeting?.code : refused).to.equal(421);
    await first.login(USER, PASSWORD);
    const admitted = await connect();
    expect(admitted.greeting?.code).to.equal(220);
  });
});
