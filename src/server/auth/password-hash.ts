import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { HashSlots } from './hash-slots.js';
import { romixAddon, scryptByLanes } from './scrypt-lanes.js';

/** Cost parameters of scrypt (RFC 7914). */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

export interface ParsedPasswordHash extends ScryptCost {
  salt: Buffer;
  hash: Buffer;
}

/**
 * One of OWASP's equivalent scrypt settings, N=2^14, r=8, p=5, where the romix add-on computes a
 * check's lanes at once (scrypt-lanes.ts): two 16 MiB lanes at a time take a check from about
 * 0.23 s to 0.09 s on the 2-core VM, in the 32 MiB one lane-by-lane check of N=2^15 needs.
 */
const LANES_COST: Readonly<ScryptCost> = { N: 16384, r: 8, p: 5 };

/**
 * Without the add-on, Node's crypto.scrypt computes the lanes one after another: there N=2^15, r=8,
 * p=3 (32 MiB and a little more per check). Not N=2^14: glibc's malloc serves a 16 MiB block from
 * a thread's arena once one such block has been freed, and keeps it there, so every thread that
 * ever hashed held 16 MiB for good (measured: 64 MiB of RSS kept after eight checks). A block above
 * 32 MiB is always mapped on its own and returned when the check ends. The add-on maps its lanes
 * itself and unmaps them when they end. N=2^17 with p=1 would need 128 MiB a check.
 */
const SEQUENTIAL_COST: Readonly<ScryptCost> = { N: 32768, r: 8, p: 3 };

/** What hashPassword writes. */
export const DEFAULT_SCRYPT_COST: Readonly<ScryptCost> =
  romixAddon !== undefined ? LANES_COST : SEQUENTIAL_COST;

/**
 * A stored hash below this (in work N·r·p or memory N·r) is upgraded at its owner's next login.
 * Both settings above meet it, so a users file shared by servers with and without the add-on is
 * never rewritten back and forth.
 */
const MIN_COST: Readonly<ScryptCost> = LANES_COST;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

// A users file is input: these caps keep a hostile or mistyped entry from making one login take
// minutes or allocate gigabytes. Memory is 128·N·r bytes; work grows with N·r·p.
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;
const MAX_WORK = 2 ** 20;
const MAX_P = 16;
const MIN_SALT_BYTES = 8;
const KEY_BYTES_RANGE = [16, 64] as const;

/** Checks at once by default: one per core of the 2-core target. */
export const DEFAULT_HASH_CONCURRENCY = 2;

/**
 * Every scrypt of this process goes through these (at most 32 MiB each at the costs ftpkitd writes); the rest
 * queue, and a session that ends while its check waits (--login-timeout) leaves the queue.
 * `ftpkitd --max-hash-checks` sets the limit; a program embedding FtpServer may set it too.
 */
export const scryptSlots = new HashSlots(DEFAULT_HASH_CONCURRENCY);

/**
 * The lanes being mixed at once (scrypt-lanes.ts), as many as the checks allowed at once. A lane
 * needs at most what a whole check needed when its lanes ran one after another (16 MiB at N=2^14,
 * 32 MiB at N=2^15), so the memory bound stays, and a check alone runs two lanes at once.
 */
const laneSlots = new HashSlots(DEFAULT_HASH_CONCURRENCY);

const INTEGER = /^[1-9][0-9]{0,9}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Hashes a password into "scrypt$N$r$p$<salt base64>$<key base64>" with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = DEFAULT_SCRYPT_COST;
  const key = await scryptSlots.run(() => deriveKey(password, salt, KEY_BYTES, DEFAULT_SCRYPT_COST));
  if (key === undefined) throw new Error('scrypt failed');
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Checks a password against an encoded hash; false for a wrong password and for malformed input.
 * Aborting `signal` while the check waits for a slot rejects with its reason.
 */
export async function verifyPassword(
  password: string,
  encoded: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (parsed === undefined) return false;
  const key = await scryptSlots.run(
    () => deriveKey(password, parsed.salt, parsed.hash.length, parsed, signal),
    signal,
  );
  return key !== undefined && timingSafeEqual(key, parsed.hash);
}

/** True for a well-formed hash made at less than MIN_COST: its owner's next login upgrades it. */
export function needsRehash(encoded: string): boolean {
  const parsed = parsePasswordHash(encoded);
  if (parsed === undefined) return false;
  const { N, r, p } = MIN_COST;
  return parsed.N * parsed.r * parsed.p < N * r * p || parsed.N * parsed.r < N * r;
}

/** Parses and bounds-checks an encoded hash; undefined when it is malformed or too costly. */
export function parsePasswordHash(encoded: string): ParsedPasswordHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6) return undefined;
  const [scheme, nText = '', rText = '', pText = '', saltText = '', hashText = ''] = parts;
  if (scheme !== 'scrypt' || !INTEGER.test(nText) || !INTEGER.test(rText) || !INTEGER.test(pText))
    return undefined;
  const cost = { N: Number(nText), r: Number(rText), p: Number(pText) };
  if (!affordable(cost)) return undefined;
  const salt = decodeBase64(saltText);
  const hash = decodeBase64(hashText);
  if (salt === undefined || salt.length < MIN_SALT_BYTES) return undefined;
  if (hash === undefined || hash.length < KEY_BYTES_RANGE[0] || hash.length > KEY_BYTES_RANGE[1])
    return undefined;
  return { ...cost, salt, hash };
}

function affordable({ N, r, p }: ScryptCost): boolean {
  const powerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  return powerOfTwo && p <= MAX_P && 128 * N * r <= MAX_MEMORY_BYTES && N * r * p <= MAX_WORK;
}

function decodeBase64(text: string): Buffer | undefined {
  if (text === '' || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** The derived key; undefined when scrypt fails (out of memory), which no caller can mend. */
function deriveKey(
  password: string,
  salt: Buffer,
  length: number,
  cost: ScryptCost,
  signal?: AbortSignal,
): Promise<Buffer | undefined> {
  if (romixAddon !== undefined) {
    laneSlots.limit = scryptSlots.limit;
    const lane = (mix: () => Promise<void>): Promise<void> => laneSlots.run(mix, signal);
    return scryptByLanes(romixAddon, password, salt, length, cost, lane).catch((error: unknown) => {
      // A session that ended while a lane waited: its check is dropped, as a queued one is.
      if (signal?.aborted === true) throw error;
      return undefined;
    });
  }
  const { N, r, p } = cost;
  return new Promise((resolve) => {
    // maxmem above the cap, so only affordable() decides what is too costly.
    scrypt(password, salt, length, { N, r, p, maxmem: 2 * MAX_MEMORY_BYTES }, (err, key) => {
      resolve(err ? undefined : key);
    });
  });
}
