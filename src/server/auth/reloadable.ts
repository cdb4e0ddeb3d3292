import type { Account, Authenticator } from './account.js';

/**
 * An authenticator that a fresh one can replace while the server runs (SIGHUP re-reads the users
 * file): logins from then on ask the new one; sessions already logged in keep their account.
 */
export class ReloadableAuthenticator implements Authenticator {
  constructor(private current: Authenticator) {}

  replace(next: Authenticator): void {
    this.current = next;
  }

  authenticate(user: string, password: string, signal?: AbortSignal): Promise<Account | undefined> {
    return this.current.authenticate(user, password, signal);
  }
}
