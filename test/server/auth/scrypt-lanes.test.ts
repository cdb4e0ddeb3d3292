import { expect } from 'chai';
import { randomBytes, scryptSync } from 'node:crypto';
import { HashSlots } from '../../../src/server/auth/hash-slots.js';
import {
  missingRomix,
  romixAddon,
  scryptByLanes,
  type RomixAddon,
} from '../../../src/server/auth/scrypt-lanes.js';
import { skipWith } from '../../helpers/peers.js';

describe('server/auth/scrypt-lanes: the add-on', function () {
  it('warns at startup only where the add-on belongs and is missing', function () {
    expect(missingRomix(false, 'linux')).to.match(
      /romix add-on is not built .*npm run build:native.*one after another/,
    );
    expect(missingRomix(true, 'linux')).to.equal(undefined);
    expect(missingRomix(false, 'darwin')).to.equal(undefined);
  });

  it('is loaded on Linux when npm install built it (CI builds it)', function () {
    if (process.platform !== 'linux' || process.env.CI !== 'true') this.skip();
    expect(romixAddon, 'native/romix/build/Release/romix.node').to.not.equal(undefined);
    expect(missingRomix()).to.equal(undefined);
  });
});

describe('server/auth/scrypt-lanes', function () {
  let addon: RomixAddon;

  before(function () {
    if (romixAddon === undefined) skipWith(this, 'the romix add-on is not built (npm run build:native)');
    else addon = romixAddon;
  });

  const unbounded = (mix: () => Promise<void>): Promise<void> => mix();

  it("gives RFC 7914's test vectors", async function () {
    const vectors: [string, string, number, number, number, string][] = [
      ['', '', 16, 1, 1, '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442'],
      ['password', 'NaCl', 1024, 8, 16, 'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162'],
      [
        'pleaseletmein',
        'SodiumChloride',
        16384,
        8,
        1,
        '7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2',
      ],
    ];
    for (const [password, salt, N, r, p, start] of vectors) {
      const key = await scryptByLanes(addon, password, Buffer.from(salt), 64, { N, r, p }, unbounded);
      expect(key.toString('hex').slice(0, 64), `N=${N} r=${r} p=${p}`).to.equal(start);
    }
  });

  it("gives crypto.scrypt's key, at ftpkitd's cost and others, for any password and salt", async function () {
    this.timeout(20_000);
    const costs = [
      { N: 32768, r: 8, p: 3 },
      { N: 16384, r: 8, p: 5 },
      { N: 1024, r: 1, p: 2 },
      { N: 2, r: 3, p: 1 },
    ];
    for (const cost of costs) {
      const password = `pässword ${randomBytes(6).toString('base64')}`;
      const salt = randomBytes(16);
      const ours = await scryptByLanes(addon, password, salt, 32, cost, unbounded);
      const node = scryptSync(password, salt, 32, { ...cost, maxmem: 256 * 1024 * 1024 });
      expect(ours.equals(node), JSON.stringify(cost)).to.equal(true);
    }
  });

  it('mixes the lanes at once, as many as its lane function lets run', async function () {
    this.timeout(20_000);
    const cost = { N: 16384, r: 8, p: 5 };
    const peak = async (lane: (mix: () => Promise<void>) => Promise<void>): Promise<number> => {
      let running = 0;
      let most = 0;
      await scryptByLanes(addon, 'pw', randomBytes(16), 32, cost, (mix) =>
        lane(async () => {
          most = Math.max(most, ++running);
          try {
            await mix();
          } finally {
            running--;
          }
        }),
      );
      return most;
    };
    expect(await peak(unbounded)).to.equal(5);
    const slots = new HashSlots(2);
    expect(await peak((mix) => slots.run(mix))).to.equal(2);
  });

  it('refuses a block that is not 128·r bytes, or an N that is not a power of two', function () {
    const done = (): void => undefined;
    expect(() => addon.romix(Buffer.alloc(127), 16, 1, done)).to.throw(TypeError);
    expect(() => addon.romix(Buffer.alloc(128), 15, 1, done)).to.throw(TypeError);
  });
});
