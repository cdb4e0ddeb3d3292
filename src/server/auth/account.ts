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
  authenticate(user: string, password: string): Promise<Account | undefined>;
}
