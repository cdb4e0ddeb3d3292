import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Account, Authenticator } from './account.js';

// Letters and digits only, so the password goes into an ftp:// URL as is, and without look-alikes
// (0/O, 1/l/I) because people copy it from a terminal. 57^16 is about 93 bits.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const PASSWORD_LENGTH = 16;

export const DEFAULT_GENERATED_USER = 'ftpkit';

/** A random password of PASSWORD_LENGTH characters from ALPHABET. */
export function generatePassword(): string {
  let password = '';
  for (let index = 0; index < PASSWORD_LENGTH; index++)
    password += ALPHABET.charAt(randomInt(ALPHABET.length));
  return password;
}

/**
 * The zero-config account: one read-write user at `root` with a fresh random password that lives
 * only in this process (print it once at startup).
 */
export function createGeneratedUser(
  root: string,
  name: string = DEFAULT_GENERATED_USER,
): { user: string; password: string; authenticator: Authenticator } {
  const password = generatePassword();
  const expected = digest(password);
  const authenticator: Authenticator = {
    authenticate(user: string, candidate: string): Promise<Account | undefined> {
      // Digests have equal lengths, so the comparison time says nothing about the password.
      const matches = timingSafeEqual(digest(candidate), expected);
      if (!matches || user !== name) return Promise.resolve(undefined);
      return Promise.resolve({ user: name, home: root, writable: true, anonymous: false });
    },
  };
  return { user: name, password, authenticator };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
