import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Janitor } from './janitor.js';

/** Where every server root keeps what clients upload (vsftpd will not let anonymous write to "/"). */
export const UPLOAD_DIR = 'upload';
export const BIG_FILE = 'big.bin';
export const MID_FILE = 'mid.bin';
export const SMALL_DIR = 'small';

export interface SourceFiles {
  big?: { path: string; size: number };
  mid?: { path: string; size: number };
  small?: { dir: string; names: readonly string[]; size: number };
}

const CHUNK = 1024 * 1024;

/**
 * A file of `size` bytes made of one random mebibyte repeated: incompressible enough for a
 * loopback benchmark, written as a stream so that a gibibyte never sits in memory.
 */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const block = randomBytes(CHUNK);
  function* blocks(): Generator<Buffer> {
    for (let left = size; left > 0; left -= CHUNK) yield left >= CHUNK ? block : block.subarray(0, left);
  }
  await pipeline(Readable.from(blocks()), createWriteStream(path, { mode: 0o644 }));
  // Flushed now: otherwise the kernel writes this gibibyte back while the first server is being
  // measured, and that server's uploads come out at a third of their speed.
  const handle = await open(path, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `size` bytes of zeros to a scratch file in `dir` and deletes it, so that the next upload
 * of that size lands in memory the kernel has just freed. On a VM whose balloon driver hands free
 * memory back to the host (free page reporting, as on these VMs), the first touch of a page the
 * host took back costs a fault on the host's side: a gibibyte written into memory that has been
 * free for a few seconds goes at ~0.5 GB/s, right after a gibibyte was freed at ~5 GB/s (`dd`).
 * Without this, a large upload measures how long the machine had been idle before it.
 */
export async function warmPageCache(dir: string, size: number): Promise<void> {
  const path = join(dir, 'page-cache-warm-up.tmp');
  const zeros = Buffer.alloc(CHUNK);
  const handle = await open(path, 'w');
  try {
    for (let left = size; left > 0; left -= CHUNK) {
      await handle.write(zeros, 0, Math.min(left, CHUNK));
    }
  } finally {
    await handle.close();
    await rm(path, { force: true });
  }
}

/** The bench's one temp directory; everything else lives inside it. */
export async function makeWorkspace(janitor: Janitor): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ftpkit-bench-'));
  janitor.addDir(dir);
  // vsftpd drops to the "ftp" user: it must be able to reach the roots below.
  await chmod(dir, 0o755);
  return dir;
}

export class Sources {
  private readonly files: SourceFiles = {};
  private readonly dir: string;

  constructor(workspace: string) {
    this.dir = join(workspace, 'source');
  }

  async big(size: number): Promise<{ path: string; size: number }> {
    if (this.files.big?.size === size) return this.files.big;
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    const path = join(this.dir, BIG_FILE);
    await writeRandomFile(path, size);
    this.files.big = { path, size };
    return this.files.big;
  }

  async mid(size: number): Promise<{ path: string; size: number }> {
    if (this.files.mid?.size === size) return this.files.mid;
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    const path = join(this.dir, MID_FILE);
    await writeRandomFile(path, size);
    this.files.mid = { path, size };
    return this.files.mid;
  }

  async small(count: number, size: number): Promise<{ dir: string; names: readonly string[]; size: number }> {
    const existing = this.files.small;
    if (existing?.names.length === count && existing.size === size) return existing;
    const dir = join(this.dir, SMALL_DIR);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const names = Array.from({ length: count }, (_, i) => `f${String(i).padStart(5, '0')}.bin`);
    for (const name of names) await writeFile(join(dir, name), randomBytes(size), { mode: 0o644 });
    this.files.small = { dir, names, size };
    return this.files.small;
  }
}

/**
 * A fresh FTP root holding hard links to the source files (same bytes for every server, no copy)
 * and an empty world-writable upload directory.
 */
export async function makeRoot(workspace: string, label: string, files: SourceFiles): Promise<string> {
  const root = await mkdtemp(join(workspace, `root-${label}-`));
  await chmod(root, 0o755);
  await mkdir(join(root, UPLOAD_DIR));
  await chmod(join(root, UPLOAD_DIR), 0o777);
  if (files.big) await link(files.big.path, join(root, BIG_FILE));
  if (files.mid) await link(files.mid.path, join(root, MID_FILE));
  if (files.small) {
    const dir = join(root, SMALL_DIR);
    await mkdir(dir, { mode: 0o755 });
    for (const name of files.small.names) await link(join(files.small.dir, name), join(dir, name));
  }
  return root;
}

/** Whether two files hold the same bytes, compared a window at a time (files may be a GiB). */
export async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.size !== sb.size) return false;
  if (sa.size <= 64 * 1024) {
    const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
    return ba.equals(bb);
  }
  const [fa, fb] = await Promise.all([open(a), open(b)]);
  try {
    const window = 64 * 1024;
    const bufA = Buffer.alloc(window);
    const bufB = Buffer.alloc(window);
    // Head, tail and a few points between: a truncated, shifted or zero-filled upload shows up at
    // one of them, without reading a gibibyte twice per run.
    const points = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.floor(f * (sa.size - window)));
    for (const position of points) {
      const [ra, rb] = await Promise.all([
        fa.read(bufA, 0, window, position),
        fb.read(bufB, 0, window, position),
      ]);
      if (ra.bytesRead !== rb.bytesRead || !bufA.equals(bufB)) return false;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

export async function listNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
