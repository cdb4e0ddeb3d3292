import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCommand, isRoot } from '../test/helpers/peers.js';
import { run } from '../test/helpers/process.js';
import type { Credentials } from './control-client.js';
import type { Janitor } from './janitor.js';

/** The account every scenario logs in with. */
export const MAIN_ACCOUNT = 'ftpkb';
/** Accounts for the scenarios that need many distinct ones (first logins, 200 accounts at once). */
export const MANY_ACCOUNTS = 200;
/** The GECOS field of the bench's system accounts: how a later run recognises one a crash left. */
export const SYSTEM_ACCOUNT_MARK = 'ftpkit-bench';

/** ftpkb000 ... ftpkb199: short enough for every tool, and never a name a system already uses. */
export function accountName(index: number): string {
  return `${MAIN_ACCOUNT}${String(index).padStart(3, '0')}`;
}

/** Fresh random passwords for this run: nothing the bench makes outlives it with a known password. */
export function makeCredentials(count: number): { main: Credentials; many: Credentials[] } {
  const password = (): string => randomBytes(12).toString('base64url');
  return {
    main: { user: MAIN_ACCOUNT, password: password() },
    many: Array.from({ length: count }, (_, i) => ({ user: accountName(i), password: password() })),
  };
}

/** `name:password` lines, as chpasswd reads them. */
export function chpasswdInput(accounts: readonly Credentials[]): string {
  return accounts.map((account) => `${account.user}:${account.password}\n`).join('');
}

/** Names of the bench's system accounts in an /etc/passwd text (marked by their GECOS field). */
export function markedAccounts(passwdText: string): string[] {
  return passwdText
    .split('\n')
    .map((line) => line.split(':'))
    .filter((fields) => fields.length >= 7 && fields[4] === SYSTEM_ACCOUNT_MARK)
    .map((fields) => fields[0] ?? '');
}

/** `{"name": "password", ...}`: the plain table ftp-srv's login handler and pyftpdlib's authorizer read. */
export function plainTable(accounts: readonly Credentials[]): string {
  return `${JSON.stringify(Object.fromEntries(accounts.map((a) => [a.user, a.password])), null, 2)}\n`;
}

const here = fileURLToPath(new URL('.', import.meta.url));
// build/bench/accounts.js -> the repository's bin/.
const FTPKITD_BIN = join(here, '..', '..', 'bin', 'ftpkitd.js');
const STEP_TIMEOUT_MS = 30_000;

/**
 * Adds accounts to an ftpkitd users file as its users do: `ftpkitd passwd --users FILE NAME` with
 * the password on stdin (the first line; no terminal here). One at a time, since each call reads,
 * changes and rewrites the file. The home is the server's root, with write access.
 */
export async function addFtpkitdUsers(usersFile: string, accounts: readonly Credentials[]): Promise<void> {
  for (const account of accounts) {
    const result = await run(process.execPath, [FTPKITD_BIN, 'passwd', '--users', usersFile, account.user], {
      input: `${account.password}\n`,
      timeoutMs: STEP_TIMEOUT_MS,
    });
    if (result.code !== 0)
      throw new Error(`ftpkitd passwd ${account.user}: exit ${String(result.code)}: ${result.stderr.trim()}`);
  }
}

function removeSystemAccounts(names: readonly string[]): string[] {
  const userdel = findCommand('userdel') ?? '/usr/sbin/userdel';
  const failures: string[] = [];
  for (const name of names) {
    // -f: a vsftpd session killed a moment ago may not have been reaped yet.
    const result = spawnSync(userdel, ['-f', name], { encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
    if (result.status !== 0) failures.push(`${name}: ${result.stderr.trim()}`);
  }
  return failures;
}

/** Why system accounts cannot be made here, or undefined. */
export function systemAccountProblem(): string | undefined {
  if (!isRoot()) return 'system accounts need root';
  if (findCommand('useradd') === undefined || findCommand('chpasswd') === undefined)
    return 'useradd and chpasswd are needed for its system accounts';
  return undefined;
}

/**
 * The accounts of one run, made for each kind of server only when a scenario first needs them:
 * ftpkitd's users file (a third of a second per account: a process start and an scrypt hash), vsftpd's system accounts,
 * and the plain table of ftp-srv and pyftpdlib.
 */
export class BenchAccounts {
  readonly main: Credentials;
  readonly many: readonly Credentials[];
  private readonly usersFile: string;
  private readonly tableFile: string;
  private ftpkitdCount = -1;
  private systemCount = -1;
  private tableCount = -1;

  constructor(
    private readonly workspace: string,
    private readonly janitor: Janitor,
  ) {
    const made = makeCredentials(MANY_ACCOUNTS);
    this.main = made.main;
    this.many = made.many;
    this.usersFile = join(workspace, 'ftpkitd-users.json');
    this.tableFile = join(workspace, 'plain-accounts.json');
  }

  /** The main account and the first `count` of the many. */
  private wanted(count: number): Credentials[] {
    return [this.main, ...this.many.slice(0, count)];
  }

  /** ftpkitd's users file holding the main account and the first `count` others. */
  async ftpkitdUsers(count: number): Promise<string> {
    if (count > this.ftpkitdCount) {
      const wanted = this.wanted(count);
      await addFtpkitdUsers(this.usersFile, wanted.slice(this.ftpkitdCount + 1));
      this.ftpkitdCount = count;
    }
    return this.usersFile;
  }

  /** A JSON table name -> password (plain, as these servers' users keep it) of the same accounts. */
  async plainTable(count: number): Promise<string> {
    if (count > this.tableCount) {
      await writeFile(this.tableFile, plainTable(this.wanted(count)), { mode: 0o600 });
      this.tableCount = count;
    }
    return this.tableFile;
  }

  /**
   * System accounts for vsftpd (PAM, SHA-512 crypt as chpasswd -c SHA512 makes them): no group of
   * their own, a shell from /etc/shells (PAM's pam_shells wants one), the workspace as home (vsftpd
   * enters the home before its local_root, the scenario's root). Removed at the end
   * of the run, on every exit path; ones a killed run left behind are removed first.
   */
  async systemAccounts(count: number): Promise<void> {
    if (count <= this.systemCount) return;
    const problem = systemAccountProblem();
    if (problem !== undefined) throw new Error(problem);
    if (this.systemCount < 0) {
      const stale = markedAccounts(await readFile('/etc/passwd', 'utf8'));
      const failures = removeSystemAccounts(stale);
      if (failures.length > 0) throw new Error(`removing old bench accounts: ${failures.join('; ')}`);
    }
    const added = this.wanted(count).slice(this.systemCount + 1);
    const names: string[] = [];
    this.janitor.addSync(`remove ${added.length} bench system accounts`, () => {
      const failures = removeSystemAccounts(names);
      if (failures.length > 0) throw new Error(failures.join('; '));
    });
    const useradd = findCommand('useradd') ?? 'useradd';
    for (const account of added) {
      const args = ['--no-create-home', '--no-user-group', '--gid', 'nogroup', '--home-dir', this.workspace];
      const result = await run(useradd, [
        ...args,
        '--shell',
        '/bin/sh',
        '--comment',
        SYSTEM_ACCOUNT_MARK,
        account.user,
      ]);
      if (result.code !== 0) throw new Error(`useradd ${account.user}: ${result.stderr.trim()}`);
      names.push(account.user);
    }
    const chpasswd = findCommand('chpasswd') ?? 'chpasswd';
    const result = await run(chpasswd, ['--crypt-method', 'SHA512'], { input: chpasswdInput(added) });
    if (result.code !== 0) throw new Error(`chpasswd: ${result.stderr.trim()}`);
    this.systemCount = count;
  }
}
