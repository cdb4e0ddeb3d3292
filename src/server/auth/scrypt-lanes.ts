import { pbkdf2Sync } from 'node:crypto';
import { getSystemErrorName } from 'node:util';
import { loadNativeAddon, missingAddon } from '../native-addon.js';
import type { ScryptCost } from './password-hash.js';

/** native/romix: scrypt's ROMix on one lane's block, in place, on libuv's thread pool. */
export interface RomixAddon {
  /** `done(errno)` runs on the main thread: 0 once the 128·r bytes of `block` are mixed. */
  romix(block: Buffer, N: number, r: number, done: (errno: number) => void): void;
}

/**
 * The add-on, when `npm install` built it (Linux with a C compiler); without it a check is Node's
 * crypto.scrypt, which computes the lanes one after another.
 */
export const romixAddon = loadNativeAddon('romix') as RomixAddon | undefined;

/** For the startup log: why password checks will take twice as long; undefined when they will not. */
export function missingRomix(
  built: boolean = romixAddon !== undefined,
  platform: string = process.platform,
): string | undefined {
  return missingAddon(
    'romix',
    "a password check computes scrypt's lanes one after another, about twice as long",
    built,
    platform,
  );
}

/**
 * scrypt (RFC 7914) with its p lanes computed at once: PBKDF2-HMAC-SHA256 spreads the password
 * and salt over p blocks, each block is mixed on its own (ROMix, 128·N·r bytes of memory), and a
 * second PBKDF2 over the mixed blocks gives the key. The same key as crypto.scrypt's. `lane` runs
 * each mixing, and decides how many run at once.
 */
export async function scryptByLanes(
  addon: RomixAddon,
  password: string,
  salt: Buffer,
  length: number,
  { N, r, p }: ScryptCost,
  lane: (mix: () => Promise<void>) => Promise<void>,
): Promise<Buffer> {
  const size = 128 * r;
  const blocks = pbkdf2Sync(password, salt, 1, p * size, 'sha256');
  const lanes = Array.from({ length: p }, (_, i) => blocks.subarray(i * size, (i + 1) * size));
  await Promise.all(lanes.map((block) => lane(() => mix(addon, block, N, r))));
  return pbkdf2Sync(password, blocks, 1, length, 'sha256');
}

function mix(addon: RomixAddon, block: Buffer, N: number, r: number): Promise<void> {
  return new Promise((resolve, reject) => {
    addon.romix(block, N, r, (errno) => {
      if (errno === 0) resolve();
      else reject(new Error(`scrypt lane failed: ${getSystemErrorName(-errno)}`));
    });
  });
}
