import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  FileNameNotAllowedError,
  FileUnavailableError,
  SyntaxErrorInArgs,
  type FileEntry,
} from '../../../protocol/index.js';
import { ftpSegments } from '../confine.js';
import type { FileSystem, ReadSource, Upload, WriteMode } from '../file-system.js';
import { asFtp, isNotFound, s3Status } from './errors.js';
import { KeyMap } from './keys.js';
import { dirEntry, fileEntry, listDirectory } from './listing.js';
import type { S3Location } from './location.js';
import { NoDirRanges, SeenDirs } from './dir-memory.js';
import { S3Upload, type PartOptions } from './upload.js';

/** Tuning of an S3 store; the defaults suit most engines. */
export interface S3StoreTuning {
  /** Bytes per part of a multipart upload (5 MiB at least). Default 8 MiB. */
  partSize?: number;
  /** Parts in flight per upload. Default 4. */
  queueSize?: number;
  /** Most objects a directory rename moves; a bigger directory is refused (550). Default 1,000. */
  maxRenameObjects?: number;
  /** Keys per listing page (S3 gives 1,000 at most). Default 1,000. */
  listPageSize?: number;
}

// MFMT's time lives in the object's metadata, since S3 sets LastModified itself.
const MTIME = 'ftp-mtime';
// Copies and deletes in flight while a directory is renamed.
const RENAME_CONCURRENCY = 8;
// A directory this session saw lately is taken to be there for an upload into it: a client
// storing many files in one directory then pays one listing, not one per file. Another session
// removing it meanwhile only means the upload brings the directory back, as a prefix does.
const SEEN_DIR_MS = 5000;
const SEEN_DIRS_MAX = 1000;
// Entries a name's directory check lists past the name, for the names after it (NoDirRanges). A
// folder stored in order into a new directory finds none whatever the size; in a full directory
// (Swift, 2,000 files, names at random) 20 cost 1-2 ms over one key's listing, 100 about 7 ms.
const NO_DIR_PAGE = 20;

/**
 * An S3 bucket (under a key prefix) as a file system. Directories are key prefixes; an empty one
 * keeps a zero-byte marker object named after it ("dir/"). Uploads become visible only when
 * complete (see S3Upload). Renames are a copy and a delete, so not atomic; a directory is renamed
 * only up to maxRenameObjects objects. Listings stream page by page (entries()). MFMT's time is
 * kept in the object's metadata and shown by MDTM and MLST; listings show the engine's own time.
 */
export class S3FileSystem implements FileSystem {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #keys: KeyMap;
  readonly #parts: PartOptions;
  readonly #maxRenameObjects: number;
  readonly #pageSize: number;
  /** Directory keys seen to exist lately (see SEEN_DIR_MS). */
  readonly #seenDirs = new SeenDirs(SEEN_DIR_MS, SEEN_DIRS_MAX);
  /**
   * Names this session's listings lately showed to be no directories, for as long as it takes a
   * seen directory to be there: another writer's new directory of the same name goes unseen
   * that long, and an upload then puts a file beside it, as S3 allows.
   */
  readonly #noDirs = new NoDirRanges(SEEN_DIR_MS, SEEN_DIRS_MAX);

  constructor(client: S3Client, location: S3Location, tuning: S3StoreTuning = {}) {
    this.#client = client;
    this.#bucket = location.bucket;
    this.#keys = new KeyMap(location.prefix);
    this.#parts = { partSize: tuning.partSize ?? 8 * 1024 * 1024, queueSize: tuning.queueSize ?? 4 };
    this.#maxRenameObjects = tuning.maxRenameObjects ?? 1000;
    this.#pageSize = tuning.listPageSize ?? 1000;
  }

  stat(ftpPath: string): Promise<FileEntry> {
    return asFtp(async () => {
      const name = baseName(ftpPath);
      if (this.#keys.isRoot(ftpPath)) return dirEntry(name, undefined);
      const head = await this.#head(this.#keys.file(ftpPath));
      if (head !== undefined) return fileEntry(name, head.ContentLength ?? 0, modifiedOf(head));
      const dirKey = this.#keys.dir(ftpPath);
      const dir = await this.#probeDir(dirKey);
      if (dir === undefined) throw new FileUnavailableError('No such file or directory.');
      if (dir.modified === undefined) return dirEntry(name, undefined);
      // The marker may carry an MFMT time, which only a HEAD shows.
      const marker = await this.#head(dirKey);
      return dirEntry(name, marker === undefined ? dir.modified : modifiedOf(marker));
    });
  }

  list(ftpPath: string, accept?: (name: string) => boolean): Promise<FileEntry[]> {
    return asFtp(async () => {
      await this.#requireDir(ftpPath);
      const entries: FileEntry[] = [];
      for await (const entry of this.entries(ftpPath, accept)) entries.push(entry);
      return entries;
    });
  }

  entries(ftpPath: string, accept?: (name: string) => boolean): AsyncIterable<FileEntry> {
    const dirKey = this.#keys.dir(ftpPath);
    return listDirectory(this.#client, { bucket: this.#bucket, dirKey, pageSize: this.#pageSize }, accept);
  }

  read(ftpPath: string, offset: number): Promise<ReadSource> {
    return asFtp(async () => {
      checkOffset(offset);
      const key = this.#keys.file(ftpPath);
      try {
        const got = await this.#client.send(
          new GetObjectCommand({
            Bucket: this.#bucket,
            Key: key,
            ...(offset > 0 && { Range: `bytes=${offset}-` }),
          }),
        );
        if (!(got.Body instanceof Readable)) throw new Error('GetObject gave no stream.');
        const total = /\/(\d+)$/.exec(got.ContentRange ?? '')?.[1];
        return { body: got.Body, size: total === undefined ? (got.ContentLength ?? 0) : Number(total) };
      } catch (err) {
        if (isNotFound(err)) await this.#notAFile(ftpPath);
        // A REST offset at or past the end: nothing to send, as from a local file.
        if (s3Status(err).status === 416) {
          const head = await this.#head(key);
          if (head !== undefined) return { body: Buffer.alloc(0), size: head.ContentLength ?? 0 };
        }
        throw err;
      }
    });
  }

  write(ftpPath: string, mode: WriteMode): Promise<Upload> {
    return asFtp(async () => {
      const key = this.#keys.file(ftpPath);
      if (this.#keys.isRoot(ftpPath)) throw new FileUnavailableError('Not a regular file.');
      if (mode.kind === 'offset') checkOffset(mode.offset);
      const checks = Promise.all([this.#requireParent(ftpPath), this.#refuseDir(ftpPath)]).then(
        () => undefined,
      );
      const target = { bucket: this.#bucket, key };
      // A plain upload needs nothing from the engine to begin: its checks take their round trip
      // while the client sends, and hold the object back until they pass (S3Upload's `ready`).
      if (mode.kind === 'replace' || (mode.kind === 'offset' && mode.offset === 0)) {
        return new S3Upload(this.#client, { ...target, ready: checks }, this.#parts);
      }
      const [, head] = await Promise.all([checks, this.#head(key)]);
      switch (mode.kind) {
        case 'new':
          // Not atomic: S3 engines differ in conditional writes. A name taken meanwhile is replaced.
          if (head !== undefined) throw new FileNameNotAllowedError('File exists.');
          return new S3Upload(this.#client, target, this.#parts);
        case 'append':
          if (head === undefined || (head.ContentLength ?? 0) === 0) {
            return new S3Upload(this.#client, target, this.#parts);
          }
          return this.#rewrite(target, head, undefined);
        case 'offset':
          if (head === undefined || mode.offset > (head.ContentLength ?? 0)) {
            throw new FileUnavailableError('Restart offset is past the end of the file.');
          }
          return this.#rewrite(target, head, mode.offset);
      }
    });
  }

  mkdir(ftpPath: string): Promise<void> {
    return asFtp(async () => {
      if (this.#keys.isRoot(ftpPath)) throw new FileUnavailableError('File exists.');
      const dirKey = this.#keys.dir(ftpPath);
      const [file, dir] = await Promise.all([
        this.#head(this.#keys.file(ftpPath)),
        this.#probeDir(dirKey),
        this.#requireParent(ftpPath),
      ]);
      if (file !== undefined || dir !== undefined) throw new FileUnavailableError('File exists.');
      this.#noDirs.clear();
      await this.#putMarker(dirKey);
    });
  }

  rmdir(ftpPath: string): Promise<void> {
    return asFtp(async () => {
      if (this.#keys.isRoot(ftpPath)) throw new FileUnavailableError('Permission denied.');
      const dirKey = this.#keys.dir(ftpPath);
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: dirKey, MaxKeys: 2 }),
      );
      const keys = (page.Contents ?? []).map((o) => o.Key);
      if (keys.length === 0) {
        const file = await this.#head(this.#keys.file(ftpPath));
        throw new FileUnavailableError(
          file === undefined ? 'No such file or directory.' : 'Not a directory.',
        );
      }
      if (keys.some((k) => k !== dirKey)) throw new FileUnavailableError('Directory not empty.');
      this.#forgetDirs(dirKey);
      await this.#delete(dirKey);
      await this.#keepParent(ftpPath);
    });
  }

  unlink(ftpPath: string): Promise<void> {
    return asFtp(async () => {
      if (this.#keys.isRoot(ftpPath)) throw new FileUnavailableError('Is a directory.');
      const key = this.#keys.file(ftpPath);
      if ((await this.#head(key)) === undefined) await this.#notAFile(ftpPath, 'Is a directory.');
      await this.#delete(key);
      await this.#keepParent(ftpPath);
    });
  }

  rename(from: string, to: string): Promise<void> {
    return asFtp(async () => {
      if (this.#keys.isRoot(from) || this.#keys.isRoot(to))
        throw new FileUnavailableError('Permission denied.');
      const fromKey = this.#keys.file(from);
      const toKey = this.#keys.file(to);
      const source = await this.#head(fromKey);
      if (source === undefined) {
        await this.#requireDir(from);
        return this.#renameDir(from, to);
      }
      if (fromKey === toKey) return;
      await Promise.all([this.#requireParent(to), this.#refuseDir(to)]);
      await this.#copy(fromKey, toKey);
      await this.#delete(fromKey);
      await this.#keepParent(from);
    });
  }

  setModified(ftpPath: string, time: Date): Promise<void> {
    return asFtp(async () => {
      if (Number.isNaN(time.getTime())) throw new SyntaxErrorInArgs('Invalid time.');
      const metadata = { [MTIME]: String(time.getTime()) };
      if (this.#keys.isRoot(ftpPath)) throw new FileUnavailableError('Permission denied.');
      const key = this.#keys.file(ftpPath);
      const head = await this.#head(key);
      if (head === undefined) {
        await this.#requireDir(ftpPath);
        await this.#putMarker(this.#keys.dir(ftpPath), metadata);
        return;
      }
      // An object's metadata changes only by copying it onto itself.
      await this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          CopySource: copySource(this.#bucket, key),
          MetadataDirective: 'REPLACE',
          Metadata: { ...head.Metadata, ...metadata },
          ...(head.ContentType !== undefined && { ContentType: head.ContentType }),
        }),
      );
    });
  }

  /** The directory's objects moved one by one, up to maxRenameObjects; on failure the copies go. */
  async #renameDir(from: string, to: string): Promise<void> {
    const fromDir = this.#keys.dir(from);
    const toDir = this.#keys.dir(to);
    if (fromDir === toDir) return;
    if (toDir.startsWith(fromDir)) throw new FileUnavailableError('Cannot move a directory into itself.');
    const [file, dir] = await Promise.all([
      this.#head(this.#keys.file(to)),
      this.#probeDir(toDir),
      this.#requireParent(to),
    ]);
    if (file !== undefined || dir !== undefined) throw new FileUnavailableError('File exists.');
    const keys = await this.#keysUnder(fromDir, this.#maxRenameObjects + 1);
    if (keys.length > this.#maxRenameObjects) {
      throw new FileUnavailableError(
        `Directory too big to rename (more than ${this.#maxRenameObjects} objects); move its contents instead.`,
      );
    }
    this.#forgetDirs(fromDir);
    const copied: string[] = [];
    try {
      await inBatches(keys, RENAME_CONCURRENCY, async (key) => {
        const target = toDir + key.slice(fromDir.length);
        await this.#copy(key, target);
        copied.push(target);
      });
    } catch (err) {
      await inBatches(copied, RENAME_CONCURRENCY, (key) => this.#delete(key)).catch(() => undefined);
      throw err;
    }
    await inBatches(keys, RENAME_CONCURRENCY, (key) => this.#delete(key));
    await this.#keepParent(from);
  }

  /**
   * An upload whose object starts with bytes of the old one: all of them (APPE), or those before
   * `offset` (REST + STOR). They stream from the engine through this server; the old object is
   * pinned by its ETag so that a change meanwhile fails the upload instead of mixing two versions.
   */
  async #rewrite(
    target: { bucket: string; key: string },
    head: HeadObjectCommandOutput,
    offset: number | undefined,
  ): Promise<Upload> {
    const got = await this.#client.send(
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: target.key,
        ...(head.ETag !== undefined && { IfMatch: head.ETag }),
        ...(offset !== undefined && { Range: `bytes=0-${offset - 1}` }),
      }),
    );
    if (!(got.Body instanceof Readable)) throw new Error('GetObject gave no stream.');
    return new S3Upload(this.#client, { ...target, head: got.Body }, this.#parts);
  }

  async #head(key: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The directory at `dirKey` if any key lies under it, with its marker's time when it has one. */
  async #probeDir(dirKey: string): Promise<{ modified: Date | undefined } | undefined> {
    const page = await this.#client.send(
      new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: dirKey, MaxKeys: 1 }),
    );
    const first = page.Contents?.[0];
    if (first === undefined) return undefined;
    return { modified: first.Key === dirKey ? first.LastModified : undefined };
  }

  async #requireDir(ftpPath: string): Promise<void> {
    if (this.#keys.isRoot(ftpPath)) return;
    if ((await this.#probeDir(this.#keys.dir(ftpPath))) !== undefined) return;
    const file = await this.#head(this.#keys.file(ftpPath));
    throw new FileUnavailableError(file === undefined ? 'No such file or directory.' : 'Not a directory.');
  }

  async #requireParent(ftpPath: string): Promise<void> {
    const parent = this.#keys.parentDir(ftpPath);
    if (parent === undefined || parent === this.#keys.prefix) return;
    if (this.#seenDirs.has(parent, Date.now())) return;
    if ((await this.#probeDir(parent)) !== undefined) {
      this.#seenDirs.add(parent, Date.now());
      return;
    }
    throw new FileUnavailableError('No such file or directory.');
  }

  #forgetDirs(dirKey: string): void {
    this.#seenDirs.forgetUnder(dirKey);
    this.#noDirs.clear();
  }

  /**
   * Fails if `ftpPath` names a directory. Its listing goes on past the name, so that the names
   * after it in the same directory (a client storing a folder's files in order) need none.
   */
  async #refuseDir(ftpPath: string): Promise<void> {
    const parent = this.#keys.parentDir(ftpPath) ?? this.#keys.prefix;
    const dirKey = this.#keys.dir(ftpPath);
    if (this.#noDirs.isNoDir(parent, dirKey, Date.now())) return;
    const after = this.#keys.file(ftpPath);
    const page = await this.#client.send(
      new ListObjectsV2Command({
        Bucket: this.#bucket,
        Prefix: parent,
        Delimiter: '/',
        StartAfter: after,
        MaxKeys: NO_DIR_PAGE,
      }),
    );
    const dirs = (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix]));
    const lastKey = page.Contents?.at(-1)?.Key;
    const now = Date.now();
    this.#noDirs.record(parent, after, { dirs, lastKey, truncated: page.IsTruncated === true }, now);
    if (dirs.includes(dirKey)) throw new FileUnavailableError('Not a regular file.');
    // The page ended before reaching the name (many names just after it): ask about it alone.
    if (!this.#noDirs.isNoDir(parent, dirKey, now) && (await this.#probeDir(dirKey)) !== undefined) {
      throw new FileUnavailableError('Not a regular file.');
    }
  }

  /** Fails with the reason a path that is no object cannot be used as a file. */
  async #notAFile(ftpPath: string, dirMessage = 'Not a regular file.'): Promise<never> {
    const dir = await this.#probeDir(this.#keys.dir(ftpPath));
    throw new FileUnavailableError(dir === undefined ? 'No such file or directory.' : dirMessage);
  }

  /**
   * A directory lives as long as some key is under it: when the last one goes, the directory it
   * was in keeps a marker, as a local directory stays when its last file is deleted.
   */
  async #keepParent(ftpPath: string): Promise<void> {
    const parent = this.#keys.parentDir(ftpPath);
    if (parent === undefined || parent === this.#keys.prefix) return;
    if ((await this.#probeDir(parent)) === undefined) await this.#putMarker(parent);
  }

  async #putMarker(dirKey: string, metadata?: Record<string, string>): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: dirKey,
        Body: Buffer.alloc(0),
        ContentLength: 0,
        ...(metadata !== undefined && { Metadata: metadata }),
      }),
    );
  }

  async #copy(fromKey: string, toKey: string): Promise<void> {
    await this.#client.send(
      new CopyObjectCommand({
        Bucket: this.#bucket,
        Key: toKey,
        CopySource: copySource(this.#bucket, fromKey),
      }),
    );
  }

  async #delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }

  async #keysUnder(dirKey: string, limit: number): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: dirKey, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined && keys.length < limit);
    return keys;
  }
}

function baseName(ftpPath: string): string {
  return ftpSegments(ftpPath).at(-1) ?? '/';
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new SyntaxErrorInArgs('Invalid offset.');
}

/** MFMT's time if one was set, else the engine's. */
function modifiedOf(head: HeadObjectCommandOutput): Date | undefined {
  const kept = Number(head.Metadata?.[MTIME]);
  return Number.isFinite(kept) && head.Metadata?.[MTIME] !== undefined ? new Date(kept) : head.LastModified;
}

/** CopyObject's source: bucket and key, URL-encoded except for the slashes. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
}

/** Runs `task` over `items`, `width` at a time. */
async function inBatches<T>(
  items: readonly T[],
  width: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
