import type { Account, Authenticator } from './account.js';

const ANONYMOUS_NAMES = new Set(['anonymous', 'ftp']);

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
    const name = user.toLowerCase();
    if (!ANONYMOUS_NAMES.has(name)) return Promise.resolve(undefined);
    return Promise.resolve({ user: name, home: this.#root, writable: this.#writable, anonymous: true });
  }
}
