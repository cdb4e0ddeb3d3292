import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const CHUNK_BYTES = 64 * 1024;

export function sha256Buffer(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Writes `bytes` random bytes in chunks (large files never sit in memory) and returns their sha256,
 * computed on the way so the caller need not read the file back.
 */
export async function makeRandomFile(path: string, bytes: number): Promise<string> {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bad file size: ${bytes}`);
  const hash = createHash('sha256');
  function* chunks(): Generator<Buffer> {
    for (let left = bytes; left > 0; left -= CHUNK_BYTES) {
      const chunk = randomBytes(Math.min(CHUNK_BYTES, left));
      hash.update(chunk);
      yield chunk;
    }
  }
  await mkdir(dirname(path), { recursive: true });
  await pipeline(Readable.from(chunks()), createWriteStream(path));
  return hash.digest('hex');
}

/**
 * A directory described as data. A string is a UTF-8 text file, a Buffer a binary file, a number a
 * file of that many random bytes, and a nested object a directory (`{}` is an empty directory).
 */
export interface TreeSpec {
  readonly [name: string]: string | Buffer | number | TreeSpec;
}

export async function makeTree(root: string, spec: TreeSpec): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const [name, content] of Object.entries(spec)) {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new Error(`tree entry name must be a single path segment: ${JSON.stringify(name)}`);
    }
    const path = join(root, name);
    if (typeof content === 'string' || Buffer.isBuffer(content)) {
      await writeFile(path, content);
    } else if (typeof content === 'number') {
      await makeRandomFile(path, content);
    } else {
      await makeTree(path, content);
    }
  }
}

/**
 * The kinds of entry transfer tests trip over: text with CRLF, every byte value, an empty file,
 * non-ASCII and space-containing names, a nested and an empty directory.
 */
export const SAMPLE_TREE: TreeSpec = {
  'readme.txt': 'first line\r\nsecond line\nno newline at end',
  'all-bytes.bin': Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  'empty.dat': '',
  'héllo wörld ✓.txt': 'unicode name\n',
  'with  two spaces.txt': 'spaces in the name\n',
  nested: {
    'random.bin': 70_000,
    deeper: { 'leaf.txt': 'leaf\n' },
  },
  'empty-dir': {},
};

/**
 * Maps each relative path under root to the sha256 of the file, or to 'dir' for a directory, so two
 * trees compare with one deep equality.
 */
export async function hashTree(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  async function walk(dir: string, prefix: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        result[rel] = 'dir';
        await walk(full, rel);
      } else if (entry.isFile()) {
        result[rel] = await sha256File(full);
      } else {
        result[rel] = 'other';
      }
    }
  }
  await walk(root, '');
  return result;
}
