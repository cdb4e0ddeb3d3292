/** A logged-in user: where they live and what they may do. */
export interface Account {
  user: string;
  /** Absolute real directory that is "/" for this user. */
  home: string;
  /** May store, append, delete, rename, make and remove directories, set times. */
  writable: boolean;
  anonymous: boolean;
}

/** Decides who gets in. Returns undefined for a wrong user or password (never says which). */
export interface Authenticator {
  /**
   * `signal` is aborted when the session ends before the answer (the client left, or the login
   * timeout cut it): work not started yet may be dropped, with a rejection.
   */
  authenticate(user: string, password: string, signal?: AbortSignal): Promise<Account | undefined>;
}
