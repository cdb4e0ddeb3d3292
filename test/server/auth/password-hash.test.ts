import { expect } from 'chai';
import { randomBytes, scryptSync } from 'node:crypto';
import {
  DEFAULT_SCRYPT_COST,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  scryptSlots,
  verifyPassword,
} from '../../../src/server/auth/password-hash.js';

describe('server/auth/password-hash', () => {
  it('produces a self-describing scrypt string with a random salt', async () => {
    const first = await hashPassword('correct horse');
    const second = await hashPassword('correct horse');
    const { N, r, p } = DEFAULT_SCRYPT_COST;
    expect(first.startsWith(`scrypt$${N}$${r}$${p}$`)).to.equal(true);
    expect(first).to.match(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(first).not.to.equal(second);
    const parsed = parsePasswordHash(first);
    expect(parsed?.salt.length).to.equal(16);
    expect(parsed?.hash.length).to.equal(32);
  });

  it('runs at most 2 checks at once; the others queue and are answered', async () => {
    const encoded = await hashPassword('pw');
    const checks = Array.from({ length: 6 }, (_, i) => verifyPassword(i % 2 === 0 ? 'pw' : 'no', encoded));
    expect([scryptSlots.running, scryptSlots.waiting]).to.deep.equal([2, 4]);
    expect(await Promise.all(checks)).to.deep.equal([true, false, true, false, true, false]);
    expect([scryptSlots.running, scryptSlots.waiting]).to.deep.equal([0, 0]);
  });

  it("asks for a new hash below OWASP's cost (the old default N=2^14, p=1), not at any of the settings ftpkitd writes", async () => {
    const salt = randomBytes(16);
    const encode = (N: number, p: number): string =>
      `scrypt$${N}$8$${p}$${salt.toString('base64')}$${scryptSync('pw', salt, 32, { N, r: 8, p, maxmem: 64 * 1024 * 1024 }).toString('base64')}`;
    expect(needsRehash(encode(16384, 1))).to.equal(true);
    expect(needsRehash(encode(32768, 1))).to.equal(true);
    expect(needsRehash(encode(8192, 10))).to.equal(true);
    expect(needsRehash(encode(16384, 5))).to.equal(false);
    expect(needsRehash(encode(32768, 3))).to.equal(false);
    expect(needsRehash(await hashPassword('pw'))).to.equal(false);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const encoded = await hashPassword('s3cret pässwörd ✓');
    expect(await verifyPassword('s3cret pässwörd ✓', encoded)).to.equal(true);
    expect(await verifyPassword('s3cret passwort ✓', encoded)).to.equal(false);
    expect(await verifyPassword('', encoded)).to.equal(false);
  });

  it('honours the parameters written in the string', async () => {
    const salt = randomBytes(12);
    const key = scryptSync('pw', salt, 48, { N: 1024, r: 4, p: 2 });
    const encoded = `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword('pw', encoded)).to.equal(true);
    expect(await verifyPassword('pw', encoded.replace('$1024$', '$2048$'))).to.equal(false);
  });

  it('returns false for malformed input', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt = '', key = ''] = good.split('$');
    const malformed = [
      '',
      'plain text',
      good.replace('scrypt$', 'bcrypt$'),
      good + '$extra',
      `scrypt$16384$8$1$${salt}`,
      `scrypt$16383$8$1$${salt}$${key}`,
      `scrypt$0$8$1$${salt}$${key}`,
      `scrypt$-16384$8$1$${salt}$${key}`,
      `scrypt$16384$8$1.5$${salt}$${key}`,
      `scrypt$0x4000$8$1$${salt}$${key}`,
      `scrypt$16384$8$1$not*base64$${key}`,
      `scrypt$16384$8$1$${salt}$`,
      `scrypt$16384$8$1$${salt}$QUJD`,
      `scrypt$16384$8$1$QUJD$${key}`,
    ];
    for (const encoded of malformed) {
      expect(await verifyPassword('pw', encoded), encoded).to.equal(false);
    }
  });

  it('refuses costs that would take too long or too much memory, without computing them', async () => {
    const salt = randomBytes(16).toString('base64');
    const key = randomBytes(32).toString('base64');
    const hostile = [
      `scrypt$1073741824$8$1$${salt}$${key}`,
      `scrypt$1048576$8$1$${salt}$${key}`,
      `scrypt$16384$1024$1$${salt}$${key}`,
      `scrypt$16384$8$4096$${salt}$${key}`,
      `scrypt$16384$8$99999999999$${salt}$${key}`,
    ];
    for (const encoded of hostile) {
      expect(parsePasswordHash(encoded), encoded).to.equal(undefined);
      const started = Date.now();
      expect(await verifyPassword('pw', encoded)).to.equal(false);
      expect(Date.now() - started).to.be.below(1000);
    }
  });
});
