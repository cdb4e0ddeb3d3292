import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { FileEntry } from '../../../protocol/index.js';
import { s3Error } from './errors.js';

// Listings never reveal who wrote an object.
const OWNER = 'ftp';

/** A listed object or common prefix before it becomes an entry. */
interface Listed {
  key: string;
  dir: boolean;
  size: number;
  modified: Date | undefined;
}

/** A file entry for an object. */
export function fileEntry(name: string, size: number, modified: Date | undefined): FileEntry {
  return {
    name,
    type: 'file',
    size,
    ...(modified && { modified }),
    mode: 0o644,
    nlink: 1,
    owner: OWNER,
    group: OWNER,
  };
}

/** A directory entry for a prefix (its time is its marker's, where known). */
export function dirEntry(name: string, modified: Date | undefined): FileEntry {
  return {
    name,
    type: 'dir',
    size: 0,
    ...(modified && { modified }),
    mode: 0o755,
    nlink: 2,
    owner: OWNER,
    group: OWNER,
  };
}

/**
 * The entries directly under `dirKey`, one ListObjectsV2 page (`pageSize` keys) at a time, so a
 * directory of any size lists in bounded memory. They come in key order, which the engine keeps.
 * The directory's own marker is not an entry; neither is a name that an FTP path cannot address
 * (an empty segment, from a key with "//").
 */
export async function* listDirectory(
  client: S3Client,
  where: { bucket: string; dirKey: string; pageSize: number },
  accept?: (name: string) => boolean,
): AsyncGenerator<FileEntry> {
  const { bucket, dirKey, pageSize } = where;
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: dirKey,
          Delimiter: '/',
          MaxKeys: pageSize,
          ContinuationToken: token,
        }),
      );
    } catch (err) {
      throw s3Error(err);
    }
    const listed: Listed[] = [];
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined || object.Key === dirKey) continue;
      listed.push({ key: object.Key, dir: false, size: object.Size ?? 0, modified: object.LastModified });
    }
    for (const prefix of page.CommonPrefixes ?? []) {
      if (prefix.Prefix !== undefined)
        listed.push({ key: prefix.Prefix, dir: true, size: 0, modified: undefined });
    }
    // A page holds a range of keys; its objects and prefixes interleave within it.
    listed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const item of listed) {
      const name = item.key.slice(dirKey.length, item.dir ? -1 : undefined);
      if (name === '' || name.includes('/')) continue;
      if (accept !== undefined && !accept(name)) continue;
      yield item.dir ? dirEntry(name, item.modified) : fileEntry(name, item.size, item.modified);
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}
