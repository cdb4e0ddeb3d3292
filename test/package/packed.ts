// The package as npm ships it, for the package tests: packed from this checkout or from a copy that
// looks like a fresh clone, and installed into a scratch project without the network.
import { expect } from 'chai';
import { copyFile, mkdir, readFile, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../helpers/process.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Manifest {
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
}

export async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
}

export function ok(result: RunResult, what: string): RunResult {
  expect(result.code, `${what}\n${result.stdout}\n${result.stderr}`).to.equal(0);
  return result;
}

/**
 * Copies what a clone of this checkout would hold, uncommitted work included: the files git tracks
 * or would track, and no build/ or node_modules.
 */
export async function copyCheckout(dest: string): Promise<void> {
  const listed = ok(
    await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT }),
    'git ls-files',
  );
  const paths = listed.stdout.split('\0').filter((path) => path !== '' && path !== 'node_modules');
  for (const path of paths) {
    await mkdir(dirname(join(dest, path)), { recursive: true });
    try {
      await copyFile(join(ROOT, path), join(dest, path));
    } catch (error) {
      // A tracked file deleted in the working tree is not part of it any more.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** `npm pack` in `cwd`, the tarball written to `dest`; returns the tarball's path. */
export async function pack(cwd: string, dest: string, options: { scripts: boolean }): Promise<string> {
  const args = ['pack', '--pack-destination', dest, ...(options.scripts ? [] : ['--ignore-scripts'])];
  const packed = ok(await run('npm', args, { cwd, timeoutMs: 120_000 }), 'npm pack');
  return join(dest, packed.stdout.trim().split('\n').at(-1) ?? '');
}

/** The tarball's file names, without the leading "package/". */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const listed = ok(await run('tar', ['-tzf', tarball]), 'tar -t');
  return listed.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^package\//, ''));
}

/**
 * Unpacks the tarball into `project`/node_modules/ftpkit and links its dependencies and bins as
 * npm would, taking the dependencies from this checkout's node_modules (no network, no cache).
 */
export async function installTarball(tarball: string, project: string): Promise<void> {
  const modules = join(project, 'node_modules');
  const installed = join(modules, 'ftpkit');
  await mkdir(installed, { recursive: true });
  ok(await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']), 'tar -x');
  const manifest = await readManifest(installed);
  for (const dependency of [...Object.keys(manifest.dependencies), '@types']) {
    // A scoped package (@aws-sdk/client-s3) lives in its scope's folder.
    await mkdir(dirname(join(modules, dependency)), { recursive: true });
    await symlink(join(ROOT, 'node_modules', dependency), join(modules, dependency));
  }
  await mkdir(join(modules, '.bin'), { recursive: true });
  for (const [name, target] of Object.entries(manifest.bin)) {
    await symlink(join('..', 'ftpkit', target), join(modules, '.bin', name));
  }
}
