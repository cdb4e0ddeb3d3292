import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { findNetrcEntry, parseNetrc, type NetrcEntry } from './netrc.js';
import { formatHostPort, type FtpUrl } from './url.js';

/** Where to connect and as whom: a URL with its credentials filled in. */
export interface ResolvedTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** A source named the user (URL, environment, .netrc); false: `user` fell back to anonymous. */
  userGiven: boolean;
  /** The URL's path as it gave it, decoded; '' when none (see FtpUrl.path for the rule). */
  path: string;
  /** An `ftps://` URL: implicit FTPS. */
  implicitTls?: true;
}

export interface ResolveOptions {
  /**
   * Asks for the password when a user is known but no source gave one (the CLI passes one only
   * when stdin is a terminal). Without it, the password is ''.
   */
  promptPassword?: (prompt: string) => Promise<string>;
  /** Told about problems that do not stop the login (an unreadable or too open .netrc). */
  warn?: (message: string) => void;
}

const ANONYMOUS_USERS = new Set(['anonymous', 'ftp']);
/** What browsers and curl send as the anonymous "password" (an e-mail address by tradition). */
export const ANONYMOUS_PASSWORD = 'anonymous@';

/** $NETRC when set, else ~/.netrc. */
export function netrcPath(env: NodeJS.ProcessEnv, homedir: string): string {
  const fromEnv = env.NETRC;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir, '.netrc');
}

interface NetrcFile {
  path: string;
  entries: NetrcEntry[];
  /** Group or others may read or write it. */
  exposed: boolean;
}

async function loadNetrc(
  env: NodeJS.ProcessEnv,
  homedir: string,
  warn: (message: string) => void,
): Promise<NetrcFile | undefined> {
  const path = netrcPath(env, homedir);
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const exposed = process.platform !== 'win32' && (info.mode & 0o077) !== 0;
    return { path, entries: parseNetrc(text), exposed };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A missing ~/.netrc is the common case; a missing file the user named in $NETRC is worth a word.
    if (code !== 'ENOENT' || env.NETRC) warn(`cannot read ${path}: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * Fills in the credentials for `url`, from the first source that has them:
 * 1. the URL (`ftp://user:password@host/`);
 * 2. FTPKIT_USER and FTPKIT_PASSWORD (the password applies to the URL's user too, unless
 *    FTPKIT_USER names someone else);
 * 3. the .netrc file ($NETRC, else ~/.netrc): the block for the host (and user, when known), else
 *    `default`;
 * 4. anonymous (`anonymous` / `anonymous@`).
 * A known user without a password is asked for one (options.promptPassword), else gets ''.
 * The netrc file is read only when the URL and the environment leave something open.
 */
export async function resolveTarget(
  url: FtpUrl,
  env: NodeJS.ProcessEnv,
  homedir: string,
  options: ResolveOptions = {},
): Promise<ResolvedTarget> {
  const warn = options.warn ?? (() => undefined);
  const envUser = env.FTPKIT_USER === '' ? undefined : env.FTPKIT_USER;
  const envPassword = env.FTPKIT_PASSWORD;
  const envPasswordFits = (user: string): boolean =>
    envPassword !== undefined && (envUser === undefined || envUser === user);

  let user = url.user ?? envUser;
  let password = url.password;
  if (password === undefined && user !== undefined && envPasswordFits(user)) password = envPassword;

  if (user === undefined || password === undefined) {
    const netrc = await loadNetrc(env, homedir, warn);
    const entry = netrc && findNetrcEntry(netrc.entries, url.host, user);
    if (netrc && entry) {
      user ??= entry.login;
      if (password === undefined && user !== undefined && entry.password !== undefined) {
        password = entry.password;
        if (netrc.exposed) {
          warn(
            `${netrc.path} holds a password and other users can read or change it; run: chmod 600 ${netrc.path}`,
          );
        }
      }
    }
    if (password === undefined && user !== undefined && envPasswordFits(user)) password = envPassword;
  }

  const userGiven = user !== undefined;
  user ??= 'anonymous';
  if (password === undefined && ANONYMOUS_USERS.has(user.toLowerCase())) password = ANONYMOUS_PASSWORD;
  if (password === undefined) {
    password = options.promptPassword
      ? await options.promptPassword(`Password for ${user}@${formatHostPort(url.host, url.port)}: `)
      : '';
  }
  return {
    host: url.host,
    port: url.port,
    user,
    password,
    userGiven,
    path: url.path,
    ...(url.implicitTls === true ? { implicitTls: true } : {}),
  };
}
