import { expect } from 'chai';
import { RawControl } from '../helpers/raw-control.js';
import { startServer, type TestServer, USER, PASSWORD } from '../helpers/start-server.js';

/** A small deterministic generator, so a failure can be replayed from the seed in the test name. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const VERBS = [
  'USER',
  'PASS',
  'CWD',
  'CDUP',
  'PWD',
  'LIST',
  'NLST',
  'MLSD',
  'MLST',
  'RETR',
  'STOR',
  'APPE',
  'STOU',
  'REST',
  'DELE',
  'MKD',
  'RMD',
  'RNFR',
  'RNTO',
  'SIZE',
  'MDTM',
  'MFMT',
  'PORT',
  'EPRT',
  'PASV',
  'EPSV',
  'TYPE',
  'MODE',
  'STRU',
  'ALLO',
  'STAT',
  'HELP',
  'FEAT',
  'OPTS',
  'SITE',
  'NOOP',
  'SYST',
  'ABOR',
  'REIN',
  'XPWD',
  'ZZZZ',
];
const ARGS = [
  '',
  ' ',
  '/',
  '..',
  '../../..',
  '-la',
  'a b',
  '"q"',
  '%s%n',
  '\u00e9\u4e2d',
  '|1|127.0.0.1|80|',
  '|2|::1|65536|',
  '1,2,3',
  '127,0,0,1,4,0',
  'ALL',
  '2',
  'A N',
  'L 8',
  'UTF8 ON',
  'MLST size;',
  'CHMOD 777 x',
  '99999999999999999999',
  '-1',
  '20201340251261 x',
  'x'.repeat(300),
];

describe('server under random command lines', function () {
  let server: TestServer;

  before(async function () {
    // Short timeouts: fuzzed PASV/PORT + transfer commands must fail fast, not stall the test.
    server = await startServer({ options: { dataTimeoutMs: 200, maxLoginFailures: 1000 } });
  });

  after(async function () {
    await server.close();
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`answers every line and keeps serving (seed ${seed})`, async function () {
      const random = generator(seed);
      const bytes = (n: number): Buffer =>
        Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
      const control = await RawControl.connect(server.host, server.port);
      try {
        if (seed % 2 === 0) await control.login(USER, PASSWORD);
        for (let i = 0; i < 150; i++) {
          let line: string | Buffer;
          const shape = random();
          if (shape < 0.1) line = Buffer.concat([bytes(1 + Math.floor(random() * 40)), Buffer.from('\r\n')]);
          else if (shape < 0.2) line = `${pick(VERBS).toLowerCase()}${pick(ARGS)}\r\n`;
          else line = `${pick(VERBS)} ${pick(ARGS)}\r\n`;
          // QUIT and a REIN+USER pair would end or reset the session; they are tested elsewhere.
          if (typeof line === 'string' && /^(QUIT)/i.test(line)) continue;
          control.send(line);
          // Every line gets at least one reply; a 150 is followed by the transfer's outcome.
          for (;;) {
            const reply = await control.read(3000);
            expect(reply.code, `after ${JSON.stringify(line.toString())}`).to.be.within(100, 599);
            if (reply.code !== 150 && reply.code !== 125) break;
          }
        }
      } finally {
        await control.close();
      }
      const check = await RawControl.connect(server.host, server.port);
      await check.login(USER, PASSWORD);
      expect((await check.command('PWD')).code).to.equal(257);
      await check.close();
    });
  }
});
