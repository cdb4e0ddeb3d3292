import { expect } from 'chai';
import fs, { createWriteStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipelineIntoFile } from '../../src/client/file-pipeline.js';
import { rejectionOf } from '../helpers/rejection.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

describe('client/file-pipeline pipelineIntoFile', () => {
  let dir: TempDir;

  beforeEach(async () => {
    dir = await makeTempDir('file-pipeline');
  });

  afterEach(async () => {
    await dir.remove();
  });

  /** A WriteStream whose open() takes 50 ms, as on a busy thread pool. */
  function slowToOpen(path: string): fs.WriteStream {
    return createWriteStream(path, {
      fs: {
        open: (...args: Parameters<typeof fs.open>) => {
          setTimeout(() => fs.open(...args), 50);
        },
        write: fs.write,
        writev: fs.writev,
        close: fs.close,
      },
    });
  }

  it('settles on a failing source only once the file has been opened and closed', async () => {
    const path = join(dir.path, 'partial.bin');
    const file = slowToOpen(path);
    const source = new PassThrough();
    const running = pipelineIntoFile([source], file);
    source.destroy(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    const error = await rejectionOf(running);
    expect(error.message).to.equal('reset');
    expect(file.closed).to.equal(true);
    expect(existsSync(path)).to.equal(true);
  });

  it('writes every byte and closes the file on success', async () => {
    const path = join(dir.path, 'whole.bin');
    const file = slowToOpen(path);
    await pipelineIntoFile([Readable.from([Buffer.from('one,'), Buffer.from('two')])], file);
    expect(file.closed).to.equal(true);
    expect(await readFile(path, 'utf8')).to.equal('one,two');
  });
});
