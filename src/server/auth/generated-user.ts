import { randomInt } from 'node:crypto';
import { access, mkdir, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isInside } from '../fs/confine.js';
import { errnoCode } from '../fs/errors.js';
import { upsertUser, UsersFileAuthenticator, type HomeLayout } from './users-file.js';

// Letters and digits only, so the password goes into an ftp:// URL as is, and without look-alikes
// (0/O, 1/l/I) because people copy it from a terminal. 57^16 is about 93 bits.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const PASSWORD_LENGTH = 16;

export const DEFAULT_GENERATED_USER = 'ftpkit';

/** The generated account's users file inside the state folder. */
export const GENERATED_USERS_FILE = 'users.json';

/** A random password of PASSWORD_LENGTH characters from ALPHABET. */
export function generatePassword(): string {
  let password = '';
  for (let index = 0; index < PASSWORD_LENGTH; index++)
    password += ALPHABET.charAt(randomInt(ALPHABET.length));
  return password;
}

/** $XDG_STATE_HOME/ftpkitd, else ~/.local/state/ftpkitd (the XDG base directory default). */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME;
  return join(base !== undefined && base !== '' ? base : join(homedir(), '.local', 'state'), 'ftpkitd');
}

/** A state folder the served files could reach: users would read (or replace) the account. */
export class StateInsideRootError extends Error {
  override name = 'StateInsideRootError';
}

export interface GeneratedAccount {
  user: string;
  /** The users file that keeps it (hashed, mode 0600). */
  file: string;
  /** Only when the account was made by this call: it is never stored in clear, so never shown again. */
  password?: string;
  authenticator: UsersFileAuthenticator;
}

/**
 * The zero-config account: one read-write user at `root`, kept in a users file in `stateDir` so a
 * saved URL or .netrc works after a restart. Made with a random password the first time; after
 * that, or once its owner set a password with `ftpkitd passwd`, reused as it is.
 */
export async function loadGeneratedAccount(
  stateDir: string,
  root: string,
  name: string = DEFAULT_GENERATED_USER,
  homes: HomeLayout = 'folders',
): Promise<GeneratedAccount> {
  const folder = resolve(stateDir);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const realFolder = await realpath(folder);
  // Homes as prefixes serve nothing from the disk: no folder of it can be read through the server.
  const realRoot = homes === 'folders' ? await realpath(root) : resolve(root);
  if (homes === 'folders' && isInside(realRoot, realFolder)) {
    throw new StateInsideRootError(
      `the state folder ${realFolder} is inside the served root ${realRoot}, where users could read the account; ` +
        `choose another with --state-dir`,
    );
  }
  const file = join(folder, GENERATED_USERS_FILE);
  let password: string | undefined;
  // A file that is there but unreadable or unsafe is reported, never silently replaced.
  let authenticator = (await exists(file))
    ? await UsersFileAuthenticator.load(file, realRoot, undefined, { homes })
    : undefined;
  if (authenticator === undefined || !authenticator.userNames.includes(name)) {
    password = generatePassword();
    await upsertUser(file, { name, password });
    authenticator = await UsersFileAuthenticator.load(file, realRoot, undefined, { homes });
  }
  return { user: name, file, authenticator, ...(password === undefined ? {} : { password }) };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}
