// The two commands as a user gets them: from a tarball that `npm pack` made in a fresh clone, and
// from `npm install git+…` (which runs only the `prepare` script, never `prepack`: a package that
// builds only in prepack installs from git without its build and dies of ERR_MODULE_NOT_FOUND).
import { expect } from 'chai';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, posix } from 'node:path';
import { run, type RunResult } from '../helpers/process.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import {
  copyCheckout,
  installTarball,
  ok,
  pack,
  readManifest,
  ROOT,
  tarballFiles,
  type Manifest,
} from './packed.js';

const BINS = ['ftpkitd', 'ftpkit'] as const;

/** The env a user's shell gives an installed bin: `node` on the PATH (the bins start with env node). */
function userEnv(): NodeJS.ProcessEnv {
  return { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter) };
}

async function runBin(project: string, name: string, args: string[]): Promise<RunResult> {
  return run(join(project, 'node_modules', '.bin', name), args, { cwd: project, env: userEnv() });
}

/** The package files a bin imports (`../build/src/...`), relative to the package root. */
async function binImports(manifest: Manifest, name: string): Promise<string[]> {
  const bin = manifest.bin[name] ?? '';
  const text = await readFile(join(ROOT, bin), 'utf8');
  return [...text.matchAll(/(?:from|import)\s+'(\.[^']+)'/g)].map((m) =>
    posix.normalize(posix.join(posix.dirname(bin), m[1] ?? '')),
  );
}

async function newProject(path: string): Promise<void> {
  await writeFile(join(path, 'package.json'), JSON.stringify({ name: 'user', private: true }));
}

describe('package: the commands from a tarball packed in a fresh clone', function () {
  this.timeout(180_000);
  let dir: TempDir;
  let project: string;
  let files: string[];
  let manifest: Manifest;

  before(async function () {
    dir = await makeTempDir('package-install');
    const clone = join(dir.path, 'clone');
    await copyCheckout(clone);
    await symlink(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    // Left by an older build of a source file since deleted: packing must not ship it.
    await mkdir(join(clone, 'build', 'src'), { recursive: true });
    await writeFile(join(clone, 'build', 'src', 'stale.js'), '');
    // With its scripts: a fresh clone has no build until packing makes one.
    const tarball = await pack(clone, dir.path, { scripts: true });
    files = await tarballFiles(tarball);
    manifest = await readManifest(ROOT);
    project = join(dir.path, 'user');
    await installTarball(tarball, project);
  });

  after(async function () {
    await dir.remove();
  });

  it('ships what the bins import and deploy/; not the tests, the benches, build information or stale modules', async function () {
    for (const name of BINS) {
      const imports = await binImports(manifest, name);
      expect(imports, name).to.not.be.empty;
      expect(files, name).to.include.members(imports);
    }
    expect(files).to.not.include('build/src/stale.js');
    expect(files).to.include.members(['deploy/ftpkitd.service', 'deploy/ftpkitd.json']);
    expect(
      files.filter((file) => /^build\/(?!src\/)|\.tsbuildinfo$|^(src|test|bench)\//.test(file)),
    ).to.deep.equal([]);
  });

  for (const name of BINS) {
    it(`${name} --version prints "${name} VERSION"`, async function () {
      const result = ok(await runBin(project, name, ['--version']), `${name} --version`);
      expect(result.stdout.trim()).to.equal(`${name} ${manifest.version}`);
    });

    it(`${name} --help prints its usage`, async function () {
      const result = ok(await runBin(project, name, ['--help']), `${name} --help`);
      expect(result.stdout).to.match(new RegExp(`^${name}: `));
      expect(result.stdout).to.include('Usage:');
    });
  }
});

describe('package: the commands installed from git (npm install git+file://…)', function () {
  this.timeout(300_000);
  let dir: TempDir;
  let project: string;

  before(async function () {
    dir = await makeTempDir('package-git');
    const repo = join(dir.path, 'repo');
    await copyCheckout(repo);
    const git = (args: string[]): Promise<RunResult> => run('git', args, { cwd: repo });
    ok(await git(['init', '-q']), 'git init');
    ok(await git(['add', '-A']), 'git add');
    ok(
      await git(
        [
          '-c',
          'user.name=test',
          '-c',
          'user.email=test@example.invalid',
          '-c',
          'commit.gpgsign=false',
        ].concat(['commit', '-q', '-m', 'snapshot']),
      ),
      'git commit',
    );
    project = join(dir.path, 'user');
    await mkdir(project);
    await newProject(project);
    // npm clones the repository, installs its devDependencies to build it, packs and installs it;
    // --offline takes every package from npm's cache, which `npm ci` has filled.
    const installed = await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', `git+file://${repo}`],
      { cwd: project, timeoutMs: 240_000 },
    );
    if (installed.code !== 0 && installed.stderr.includes('ENOTCACHED') && process.env.CI !== 'true') {
      const note = " (skipped: a package is missing from npm's cache; run npm ci once)";
      for (const test of this.test?.parent?.tests ?? []) test.title += note;
      this.skip();
    }
    ok(installed, 'npm install git+file://');
  });

  after(async function () {
    await dir.remove();
  });

  for (const name of BINS) {
    it(`${name} --help runs`, async function () {
      const result = ok(await runBin(project, name, ['--help']), `${name} --help`);
      expect(result.stdout).to.match(new RegExp(`^${name}: `));
    });
  }
});
