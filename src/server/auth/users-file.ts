import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../fs/confine.js';
import { errnoCode } from '../fs/errors.js';
import type { Account, Authenticator } from './account.js';
import { checkUsersFilePermissions } from './users-file-permissions.js';
import { hashPassword, needsRehash, parsePasswordHash, verifyPassword } from './password-hash.js';

/** A users file that cannot be read, parsed or accepted; the message names the user and field. */
export class UsersFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsersFileError';
  }
}

export type Access = 'read-only' | 'read-write';

const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const USER_FIELDS = ['password', 'home', 'access'];

/** 1 to 64 characters from A-Z a-z 0-9 . _ @ - */
export function isValidUserName(name: string): boolean {
  return USER_NAME.test(name);
}

/**
 * What a home is: a folder on disk (`folders`: made when missing, links resolved, the default) or
 * a path below the root that only names a prefix of an object store (`prefixes`: nothing on disk
 * is touched, the root need not exist).
 */
export type HomeLayout = 'folders' | 'prefixes';

export interface UsersFileLoadOptions {
  /** Default `folders`. */
  homes?: HomeLayout;
}

interface UserEntry {
  /** Replaced when the login upgrades it. */
  hash: string;
  account: Account;
}

/**
 * Accounts from a JSON users file (see upsertUser for the format). The whole file is checked at
 * load, so a typo stops the server at startup instead of locking a user out later.
 */
export class UsersFileAuthenticator implements Authenticator {
  readonly #file: string;
  readonly #users: ReadonlyMap<string, UserEntry>;
  readonly #dummyHash: string;
  readonly #onUpgradeError: (user: string, err: unknown) => void;

  private constructor(
    file: string,
    users: ReadonlyMap<string, UserEntry>,
    dummyHash: string,
    onUpgradeError: (user: string, err: unknown) => void,
  ) {
    this.#file = file;
    this.#users = users;
    this.#dummyHash = dummyHash;
    this.#onUpgradeError = onUpgradeError;
  }

  /**
   * Reads and validates `file`, refusing one that others could write. Homes are relative to
   * `root` or absolute and must end up inside it. As folders (the default) links count, and they
   * are created when missing; as prefixes the check is on the path alone. A hash below today's
   * cost is rewritten at its owner's next successful login; `onUpgradeError` hears when that
   * cannot be done (the login still succeeds, on the old hash).
   */
  static async load(
    file: string,
    root: string,
    onUpgradeError: (user: string, err: unknown) => void = () => undefined,
    options: UsersFileLoadOptions = {},
  ): Promise<UsersFileAuthenticator> {
    await checkUsersFilePermissions(file);
    const document = await readDocument(file);
    if (document === undefined) throw new UsersFileError(`Users file ${file} does not exist.`);
    const onDisk = options.homes !== 'prefixes';
    const realRoot = onDisk
      ? await realpath(root).catch((err: unknown) => {
          throw new UsersFileError(`Server root ${root} is not accessible (${errnoCode(err) ?? 'error'}).`, {
            cause: err,
          });
        })
      : path.resolve(root);
    const users = new Map<string, UserEntry>();
    for (const [name, value] of Object.entries(document.users)) {
      const where = `Users file ${file}: user "${name}"`;
      if (!isValidUserName(name)) {
        throw new UsersFileError(`${where}: invalid name; use 1-64 characters from A-Z a-z 0-9 . _ @ -.`);
      }
      const record = checkRecord(value, where);
      const home = onDisk
        ? await resolveHome(realRoot, root, record.home, where)
        : prefixHome(realRoot, record.home, where);
      users.set(name, {
        hash: record.password,
        account: { user: name, home, writable: record.access !== 'read-only', anonymous: false },
      });
    }
    // Unknown names are checked against this, so they cost as much as known ones.
    const dummyHash = await hashPassword(randomBytes(16).toString('hex'));
    return new UsersFileAuthenticator(file, users, dummyHash, onUpgradeError);
  }

  /** The user names in the file. */
  get userNames(): string[] {
    return [...this.#users.keys()];
  }

  /** The accounts in the file, as a login would get them. */
  get accounts(): Account[] {
    return [...this.#users.values()].map((entry) => ({ ...entry.account }));
  }

  async authenticate(user: string, password: string, signal?: AbortSignal): Promise<Account | undefined> {
    const entry = this.#users.get(user);
    const valid = await verifyPassword(password, entry?.hash ?? this.#dummyHash, signal);
    if (entry === undefined || !valid) return undefined;
    if (needsRehash(entry.hash)) await this.#upgrade(user, password, entry);
    return { ...entry.account };
  }

  async #upgrade(user: string, password: string, entry: UserEntry): Promise<void> {
    const old = entry.hash;
    try {
      const hash = await hashPassword(password);
      // Only over the hash this check used: a password changed in the file meanwhile wins.
      if (await replaceHash(this.#file, user, old, hash)) entry.hash = hash;
    } catch (err) {
      this.#onUpgradeError(user, err);
    }
  }
}

/** Sets `user`'s hash in the file if it is still `old`; true when the file was rewritten. */
async function replaceHash(file: string, user: string, old: string, hash: string): Promise<boolean> {
  const document = await readDocument(file);
  const users = new Map(Object.entries(document?.users ?? {}));
  const record = users.get(user);
  if (document === undefined || !isObject(record) || record.password !== old) return false;
  users.set(user, Object.fromEntries(Object.entries({ ...record, password: hash })));
  const text = JSON.stringify({ ...document, users: Object.fromEntries(users) }, null, 2) + '\n';
  await writeAtomically(file, text, (await stat(file)).mode & 0o777);
  return true;
}

export interface UpsertUserOptions {
  name: string;
  password: string;
  /** Stored as given; checked against the server root when the file is loaded. */
  home?: string;
  readOnly?: boolean;
}

/**
 * Adds a user to the users file, or sets a new password (and home / access when given) for an
 * existing one, leaving everything else as it was. Creates the file if it is missing. The file is
 * replaced atomically and is readable by its owner only (0600).
 *
 * Format: { "users": { "<name>": { "password": "scrypt$…", "home": "dir", "access": "read-write" } } }
 * with `home` optional (default: the server root) and `access` "read-only" or "read-write".
 */
export async function upsertUser(file: string, options: UpsertUserOptions): Promise<'created' | 'updated'> {
  const { name, password, home, readOnly } = options;
  if (!isValidUserName(name)) {
    throw new UsersFileError(`Invalid user name "${name}": use 1-64 characters from A-Z a-z 0-9 . _ @ -.`);
  }
  if (password === '') throw new UsersFileError(`User "${name}": the password must not be empty.`);
  if (home !== undefined && (home === '' || home.includes('\0'))) {
    throw new UsersFileError(`User "${name}": the home must be a non-empty path.`);
  }

  const document = (await readDocument(file)) ?? { users: {} };
  // A Map and Object.fromEntries keep a name like "__proto__" an ordinary key.
  const users = new Map(Object.entries(document.users));
  const previous = users.get(name);
  const record: Record<string, unknown> = isObject(previous) ? { ...previous } : {};
  record.password = await hashPassword(password);
  if (home !== undefined) record.home = home;
  if (readOnly !== undefined || record.access === undefined)
    record.access = readOnly === true ? 'read-only' : 'read-write';
  users.set(name, Object.fromEntries(Object.entries(record)));

  const text = JSON.stringify({ ...document, users: Object.fromEntries(users) }, null, 2) + '\n';
  await writeAtomically(file, text);
  return previous === undefined ? 'created' : 'updated';
}

interface UsersDocument {
  users: Record<string, unknown>;
  [key: string]: unknown;
}

interface UserRecord {
  password: string;
  home?: string;
  access?: Access;
}

/** The parsed file, or undefined when it does not exist. */
async function readDocument(file: string): Promise<UsersDocument | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw new UsersFileError(`Cannot read users file ${file} (${errnoCode(err) ?? 'error'}).`, {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new UsersFileError(`Users file ${file} is not valid JSON: ${reason}`, { cause: err });
  }
  if (!isObject(parsed) || !isObject(parsed.users)) {
    throw new UsersFileError(`Users file ${file}: expected an object like { "users": { "<name>": { … } } }.`);
  }
  return { ...parsed, users: parsed.users };
}

function checkRecord(value: unknown, where: string): UserRecord {
  if (!isObject(value)) throw new UsersFileError(`${where}: expected an object with "password".`);
  for (const key of Object.keys(value)) {
    if (!USER_FIELDS.includes(key)) {
      throw new UsersFileError(`${where}: unknown field "${key}" (expected ${USER_FIELDS.join(', ')}).`);
    }
  }
  const { password, home, access } = value;
  if (typeof password !== 'string' || parsePasswordHash(password) === undefined) {
    throw new UsersFileError(
      `${where}: "password" must be an scrypt hash "scrypt$N$r$p$salt$key" (as written by upsertUser), ` +
        'with affordable costs.',
    );
  }
  if (home !== undefined && (typeof home !== 'string' || home === '' || home.includes('\0'))) {
    throw new UsersFileError(`${where}: "home" must be a non-empty path.`);
  }
  if (access !== undefined && access !== 'read-only' && access !== 'read-write') {
    throw new UsersFileError(`${where}: "access" must be "read-only" or "read-write".`);
  }
  return {
    password,
    ...(home === undefined ? {} : { home }),
    ...(access === undefined ? {} : { access }),
  };
}

/** The home as a path below the root, which names a prefix; refused unless inside the root. */
function prefixHome(root: string, home: string | undefined, where: string): string {
  if (home === undefined) return root;
  const wanted = path.resolve(root, home);
  if (!isInside(root, wanted))
    throw new UsersFileError(`${where}: "home" ${home} is outside the server root.`);
  return wanted;
}

/** The real home directory, created if missing, refused unless inside the root. */
async function resolveHome(
  realRoot: string,
  givenRoot: string,
  home: string | undefined,
  where: string,
): Promise<string> {
  if (home === undefined) return realRoot;
  const wanted = path.resolve(realRoot, home);
  const outside = new UsersFileError(`${where}: "home" ${home} is outside the server root.`);
  if (!isInside(realRoot, wanted) && !isInside(path.resolve(givenRoot), wanted)) throw outside;
  try {
    // Check the part that exists before creating the rest, so a link in it cannot lead mkdir out.
    if (!isInside(realRoot, await realpath(await deepestExisting(wanted)))) throw outside;
    await mkdir(wanted, { recursive: true });
    const real = await realpath(wanted);
    if (!isInside(realRoot, real)) throw outside;
    if (!(await stat(real)).isDirectory())
      throw new UsersFileError(`${where}: "home" ${home} is not a directory.`);
    return real;
  } catch (err) {
    if (err instanceof UsersFileError) throw err;
    throw new UsersFileError(`${where}: "home" ${home} cannot be used (${errnoCode(err) ?? 'error'}).`, {
      cause: err,
    });
  }
}

async function deepestExisting(wanted: string): Promise<string> {
  for (let current = wanted; ; current = path.dirname(current)) {
    try {
      await stat(current);
      return current;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' || path.dirname(current) === current) throw err;
    }
  }
}

/** Writes through a private temporary file and a rename, so readers see the old or the new file. */
async function writeAtomically(file: string, text: string, mode = 0o600): Promise<void> {
  // Replace the real file, not a link pointing at it.
  const target = await realpath(file).catch(() => path.resolve(file));
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.chmod(mode);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
