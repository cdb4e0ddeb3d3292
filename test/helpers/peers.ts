import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export type PeerName =
  | 'curl'
  | 'lftp'
  | 'tnftp'
  | 'inetutils-ftp'
  | 'python3'
  | 'pyftpdlib'
  | 'vsftpd'
  | 'haproxy'
  | 'systemd-analyze';

// Server binaries live in sbin, which a non-root PATH often leaves out.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

const commandCache = new Map<string, string | null>();

/** The absolute path of an executable found on PATH (or in the sbin directories), cached. */
export function findCommand(name: string): string | undefined {
  const cached = commandCache.get(name);
  if (cached !== undefined) return cached ?? undefined;
  let found: string | null = null;
  const candidates = name.includes('/')
    ? [name]
    : [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS]
        .filter((dir) => isAbsolute(dir))
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      found = candidate;
      break;
    } catch {
      // Not here; keep looking.
    }
  }
  commandCache.set(name, found);
  return found ?? undefined;
}

export function hasCommand(name: string): boolean {
  return findCommand(name) !== undefined;
}

const pythonCache = new Map<string, string | null>();

function pythonCandidates(): string[] {
  // A pyenv or venv python3 earlier on PATH usually lacks the Debian-packaged pyftpdlib, so the
  // system interpreter is tried as well. FTPKIT_PYTHON3 pins one explicitly.
  const pinned = process.env.FTPKIT_PYTHON3;
  if (pinned !== undefined && pinned !== '') return [pinned];
  const seen = new Set<string>();
  const result: string[] = [];
  for (const candidate of [findCommand('python3'), '/usr/bin/python3']) {
    if (candidate === undefined) continue;
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    result.push(candidate);
  }
  return result;
}

/**
 * The first python3 interpreter that can import `mod` (default: the standard library modules the
 * ftplib driver needs), or undefined.
 */
export function python3For(mod = 'ftplib'): string | undefined {
  if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(mod)) throw new Error(`not a module name: ${mod}`);
  const cached = pythonCache.get(mod);
  if (cached !== undefined) return cached ?? undefined;
  let found: string | null = null;
  for (const python of pythonCandidates()) {
    const probe = spawnSync(python, ['-c', `import json, ${mod}`], { stdio: 'ignore', timeout: 15_000 });
    if (probe.status === 0) {
      found = python;
      break;
    }
  }
  pythonCache.set(mod, found);
  return found ?? undefined;
}

export function hasPython3Module(mod: string): boolean {
  return python3For(mod) !== undefined;
}

/**
 * tnftp by its own name. Debian's tnftp and inetutils-ftp both register the `ftp` alternative, and
 * they take different options, so `ftp` is never used: which one owns it must not matter.
 */
export function tnftpCommand(): string | undefined {
  return findCommand('tnftp');
}

/** GNU inetutils' ftp client, by the name Debian installs it under. */
export function inetutilsFtpCommand(): string | undefined {
  return findCommand('inetutils-ftp');
}

/** Forgets every lookup, for tests that change PATH or FTPKIT_PYTHON3. */
export function clearPeerCaches(): void {
  commandCache.clear();
  pythonCache.clear();
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Why a peer cannot be used here, or undefined when it can. */
export function peerProblem(name: PeerName): string | undefined {
  switch (name) {
    case 'curl':
    case 'lftp':
      return hasCommand(name) ? undefined : `${name} is not installed (not found on PATH)`;
    case 'tnftp':
    case 'inetutils-ftp':
      return hasCommand(name) ? undefined : `${name} is not installed (not found on PATH)`;
    case 'python3':
      return python3For('ftplib') === undefined ? 'no python3 with ftplib found' : undefined;
    case 'pyftpdlib':
      return python3For('pyftpdlib') === undefined
        ? 'no python3 can import pyftpdlib (Debian package python3-pyftpdlib)'
        : undefined;
    case 'vsftpd':
      if (!hasCommand('vsftpd')) return 'vsftpd is not installed';
      return isRoot() ? undefined : 'vsftpd needs root (it chroots and drops privileges)';
    case 'haproxy':
      return hasCommand(name) ? undefined : 'haproxy is not installed (Debian package haproxy)';
    case 'systemd-analyze':
      return hasCommand(name) ? undefined : 'systemd-analyze is not installed (Debian package systemd)';
  }
}

function collectTests(suite: Mocha.Suite): Mocha.Test[] {
  return [...suite.tests, ...suite.suites.flatMap((child) => collectTests(child))];
}

/**
 * Skips the current test (or, from a hook, its suite) when the peer is unusable, putting the
 * reason in the test titles since mocha's skip takes none. Under CI=true a missing peer is a broken
 * CI image, so it throws instead: CI must fail, not quietly skip.
 */
export function requirePeer(ctx: Mocha.Context, name: PeerName): void {
  const problem = peerProblem(name);
  if (problem === undefined) return;
  if (process.env.CI === 'true') {
    throw new Error(`peer ${name} is required under CI=true but unusable: ${problem}`);
  }
  skipWith(ctx, problem);
}

/**
 * Skips the current test (or, from a hook, its suite) with the reason in the test titles, since
 * mocha's skip takes none.
 */
export function skipWith(ctx: Mocha.Context, problem: string): never {
  const runnable = ctx.test;
  const note = ` (skipped: ${problem})`;
  // Hooks have type 'hook' at runtime, though @types/mocha only declares it on Test.
  if (runnable !== undefined && Reflect.get(runnable, 'type') === 'hook') {
    for (const test of runnable.parent ? collectTests(runnable.parent) : []) {
      if (!test.title.endsWith(note)) test.title += note;
    }
  } else if (runnable !== undefined && !runnable.title.endsWith(note)) {
    runnable.title += note;
  }
  return ctx.skip();
}
