import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  FileNameNotAllowedError,
  FileUnavailableError,
  InsufficientStorageError,
  LocalProcessingError,
  StorageExceededError,
} from '../../../src/protocol/errors.js';
import { asFtp, toFtpError } from '../../../src/server/fs/errors.js';

function systemError(code: string): Error {
  return Object.assign(new Error(`${code}: something, open '/secret/real/path'`), { code });
}

describe('server/fs/errors toFtpError', () => {
  const table: [string, number, string][] = [
    ['ENOENT', 550, 'No such file or directory.'],
    ['ENOTDIR', 550, 'No such file or directory.'],
    ['EACCES', 550, 'Permission denied.'],
    ['EPERM', 550, 'Permission denied.'],
    ['EEXIST', 550, 'File exists.'],
    ['ENOTEMPTY', 550, 'Directory not empty.'],
    ['EISDIR', 550, 'Not a regular file.'],
    ['ENAMETOOLONG', 553, 'File name too long.'],
  ];
  for (const [code, reply, message] of table) {
    it(`maps ${code} to ${reply} "${message}"`, () => {
      const original = systemError(code);
      const mapped = toFtpError(original);
      expect(mapped.replyCode).to.equal(reply);
      expect(mapped.message).to.equal(message);
      expect(mapped.cause).to.equal(original);
    });
  }

  it('maps a full disk (ENOSPC) to 452, a used-up quota or size limit (EDQUOT, EFBIG) to 552', () => {
    expect(toFtpError(systemError('ENOSPC'))).to.be.instanceOf(InsufficientStorageError);
    expect(toFtpError(systemError('ENOSPC')).replyCode).to.equal(452);
    expect(toFtpError(systemError('EDQUOT'))).to.be.instanceOf(StorageExceededError);
    expect(toFtpError(systemError('EFBIG')).replyCode).to.equal(552);
  });

  it('maps anything else to LocalProcessingError with the original as cause and no path', () => {
    const original = systemError('EIO');
    const mapped = toFtpError(original);
    expect(mapped).to.be.instanceOf(LocalProcessingError);
    expect(mapped.cause).to.equal(original);
    expect(mapped.message).not.to.include('/secret');
    expect(toFtpError('a string')).to.be.instanceOf(LocalProcessingError);
  });

  it('passes FtpErrors through unchanged', () => {
    const original = new FileNameNotAllowedError('nope');
    expect(toFtpError(original)).to.equal(original);
  });

  it('hides the path of a real Node error', async () => {
    const missing = path.join(os.tmpdir(), 'ftpkit-surely-missing-dir', 'file');
    const error = await asFtp(() => readFile(missing)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(FileUnavailableError);
    expect((error as Error).message).not.to.include('ftpkit-surely-missing-dir');
  });
});
