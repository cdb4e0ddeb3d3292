import type { Account, Authenticator } from './account.js';

/** Asks each authenticator in turn; the first that returns an account wins. */
export function chainAuthenticators(list: readonly Authenticator[]): Authenticator {
  const authenticators = [...list];
  return {
    async authenticate(user: string, password: string, signal?: AbortSignal): Promise<Account | undefined> {
      for (const authenticator of authenticators) {
        const account = await authenticator.authenticate(user, password, signal);
        if (account !== undefined) return account;
      }
      return undefined;
    },
  };
}
