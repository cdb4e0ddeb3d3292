import {
  FileNameNotAllowedError,
  FileUnavailableError,
  FtpError,
  InsufficientStorageError,
  LocalProcessingError,
  StorageExceededError,
} from '../../protocol/index.js';

/** The `code` of a Node system error (ENOENT, EACCES…), or undefined for anything else. */
export function errnoCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/**
 * Turns whatever a file operation threw into the FtpError the client will see. Node's own messages
 * name real paths, so they never reach the reply text; the original stays in `cause` for logs.
 */
export function toFtpError(err: unknown): FtpError {
  if (err instanceof FtpError) return err;
  const options = { cause: err };
  switch (errnoCode(err)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FileUnavailableError('No such file or directory.', options);
    case 'EACCES':
    case 'EPERM':
      return new FileUnavailableError('Permission denied.', options);
    case 'EEXIST':
      return new FileUnavailableError('File exists.', options);
    case 'ENOTEMPTY':
      return new FileUnavailableError('Directory not empty.', options);
    case 'EISDIR':
      return new FileUnavailableError('Not a regular file.', options);
    case 'ELOOP':
      return new FileUnavailableError('Too many levels of symbolic links.', options);
    case 'EROFS':
      return new FileUnavailableError('Read-only file system.', options);
    case 'ENAMETOOLONG':
      return new FileNameNotAllowedError('File name too long.', options);
    // Node refuses paths with NUL bytes before any system call.
    case 'ERR_INVALID_ARG_VALUE':
    case 'ERR_INVALID_ARG_TYPE':
      return new FileNameNotAllowedError('File name not allowed.', options);
    case 'ENOSPC':
      return new InsufficientStorageError(undefined, options);
    case 'EDQUOT':
    case 'EFBIG':
      return new StorageExceededError(undefined, options);
    case undefined:
    default:
      return new LocalProcessingError(undefined, options);
  }
}

/** Runs a file operation so that it can only fail with an FtpError. */
export async function asFtp<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw toFtpError(err);
  }
}

/**
 * A system error in words for a one-line message ("no such file or directory"): Node's message
 * also names the syscall and path, which the caller says better in its own terms.
 */
export function describeErrno(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // "ENOENT: no such file or directory, open '/x'", "listen EADDRINUSE: address already in use ::1:21"
  const words = /\bE[A-Z0-9]+: ([^,]+)/.exec(message)?.[1];
  return words === undefined ? message : words.replace(/ \S*:\d+$/, '');
}
