import { FileNameNotAllowedError } from '../../../protocol/index.js';
import { ftpSegments } from '../confine.js';

// S3's limit on a key's length, in UTF-8 bytes.
const MAX_KEY_BYTES = 1024;

/**
 * FTP paths as object keys under one prefix. A file "/a/b" is the key PREFIX + "a/b"; the directory
 * "/a" is every key under PREFIX + "a/", and an empty one keeps that key itself as a marker object.
 */
export class KeyMap {
  /** `prefix` is "" or ends in "/". */
  constructor(readonly prefix: string) {}

  /** The object key of the file at `ftpPath` ("/" has none: it is the prefix). */
  file(ftpPath: string): string {
    return checked(this.prefix + ftpSegments(ftpPath).join('/'));
  }

  /** The key prefix of the directory at `ftpPath`, also its marker's key ("" or ending in "/"). */
  dir(ftpPath: string): string {
    const segments = ftpSegments(ftpPath);
    return checked(this.prefix + segments.map((s) => `${s}/`).join(''));
  }

  /** The directory key of the parent of `ftpPath`; undefined for "/". */
  parentDir(ftpPath: string): string | undefined {
    const segments = ftpSegments(ftpPath);
    if (segments.length === 0) return undefined;
    return (
      this.prefix +
      segments
        .slice(0, -1)
        .map((s) => `${s}/`)
        .join('')
    );
  }

  /** Whether `ftpPath` is the root. */
  isRoot(ftpPath: string): boolean {
    return ftpSegments(ftpPath).length === 0;
  }
}

function checked(key: string): string {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new FileNameNotAllowedError('File name too long.');
  return key;
}
