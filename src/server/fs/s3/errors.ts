import {
  FileNameNotAllowedError,
  FileUnavailableError,
  FtpError,
  LocalProcessingError,
  StorageExceededError,
} from '../../../protocol/index.js';

/** What the engine said: the error's name (its S3 code) and HTTP status, where it answered at all. */
export function s3Status(err: unknown): { name: string | undefined; status: number | undefined } {
  if (typeof err !== 'object' || err === null) return { name: undefined, status: undefined };
  const name = 'name' in err && typeof err.name === 'string' ? err.name : undefined;
  const metadata = '$metadata' in err ? err.$metadata : undefined;
  const status =
    typeof metadata === 'object' && metadata !== null && 'httpStatusCode' in metadata
      ? Number(metadata.httpStatusCode)
      : undefined;
  return { name, status: Number.isNaN(status) ? undefined : status };
}

/** A missing key: 404, whatever the engine calls it (NoSuchKey from GET, NotFound from HEAD). */
export function isNotFound(err: unknown): boolean {
  const { name, status } = s3Status(err);
  return status === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * Turns whatever the SDK threw into the FtpError the client sees. The SDK's messages can name
 * the endpoint, bucket and keys, so they never reach a reply; the original stays in `cause` for
 * logs. An engine that cannot be reached or fails (5xx, timeouts) is 451: the client may retry.
 */
export function s3Error(err: unknown): FtpError {
  if (err instanceof FtpError) return err;
  const options = { cause: err };
  if (isNotFound(err)) return new FileUnavailableError('No such file or directory.', options);
  const { name, status } = s3Status(err);
  switch (name) {
    case 'AccessDenied':
      return new FileUnavailableError('Permission denied.', options);
    case 'EntityTooLarge':
    case 'QuotaExceeded':
    case 'QuotaExceededError':
      return new StorageExceededError(undefined, options);
    case 'KeyTooLongError':
      return new FileNameNotAllowedError('File name too long.', options);
    case undefined:
    default:
      break;
  }
  if (status === 403) return new FileUnavailableError('Permission denied.', options);
  if (status === 413) return new StorageExceededError(undefined, options);
  return new LocalProcessingError('Storage unavailable; try again later.', options);
}

/** Runs an engine operation so that it can only fail with an FtpError. */
export async function asFtp<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw s3Error(err);
  }
}
