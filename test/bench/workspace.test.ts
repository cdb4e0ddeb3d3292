import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warmPageCache } from '../../bench/workspace.js';

describe('bench/workspace', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ftpkit-warm-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a scratch file of any size and leaves nothing behind', async () => {
    await warmPageCache(dir, 3 * 1024 * 1024 + 5);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('rejects when the directory is missing, without leaving a file', async () => {
    const missing = join(dir, 'missing');
    let error: unknown;
    try {
      await warmPageCache(missing, 1024);
    } catch (err) {
      error = err;
    }
    expect(error).to.have.property('code', 'ENOENT');
    expect(await readdir(dir)).to.deep.equal([]);
  });
});
