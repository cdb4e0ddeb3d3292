import type { Account, Authenticator } from './account.js';

const ANONYMOUS_NAMES = new Set(['anonymous', 'ftp']);

/** "anonymous" and "ftp", in any case: the names anonymous FTP answers. */
export function isAnonymousName(user: string): boolean {
  return ANONYMOUS_NAMES.has(user.toLowerCase());
}

/**
 * Anonymous FTP: the users "anonymous" and "ftp" (any case) with any password, by convention an
 * e-mail address, which is not checked. Everyone shares `root` (an absolute real directory).
 */
export class AnonymousAuthenticator implements Authenticator {
  readonly #root: string;
  readonly #writable: boolean;

  constructor(options: { root: string; writable: boolean }) {
    this.#root = options.root;
    this.#writable = options.writable;
  }

  authenticate(user: string, _password: string): Promise<Account | undefined> {
    if (!isAnonymousName(user)) return Promise.resolve(undefined);
    const name = user.toLowerCase();
    return Promise.resolve({ user: name, home: this.#root, writable: this.#writable, anonymous: true });
  }
}
