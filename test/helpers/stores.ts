// The stores a server's storage tests run over: the local disk, and S3 on the run's Swift. A suite
// loops over STORES and starts its server with { store }; its tests reach the files through
// TestServer.files, whichever store holds them.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/server/fs/s3/client.js';
import type { FileSystem } from '../../src/server/fs/file-system.js';
import { UPLOAD_TEMP_PREFIX } from '../../src/server/fs/confine.js';
import { openS3Store, type S3Store, type S3StoreTuning } from '../../src/server/fs/s3/index.js';
import { skipWith } from './peers.js';
import { sharedSwift, swiftMissing, SWIFT_CREDENTIALS, type Swift } from './swift.js';

export type StoreKind = 'local' | 's3';
export const STORES: readonly StoreKind[] = ['local', 's3'];

/** The files of a test server as a test sets them up and checks them, beside the server. */
export interface StoreFiles {
  write(path: string, data: string | Buffer): Promise<void>;
  read(path: string): Promise<Buffer>;
  mkdir(path: string): Promise<void>;
  /** The modification time MFMT sets. */
  modified(path: string): Promise<Date>;
  /** Every name in the store, hidden ones and directories included, sorted ("a", "d/", "d/f"). */
  names(): Promise<string[]>;
  /** What a failed upload could leave: local temporary files, S3 multipart uploads. */
  leftovers(): Promise<string[]>;
}

/** A store made for one test server. */
export interface TestStore {
  files: StoreFiles;
  /** The S3 store's bucket. */
  bucket?: string;
  /** For FtpServerInit.createFileSystem; undefined: the default local store. */
  createFileSystem?: (home: string) => Promise<FileSystem>;
  close(): void;
}

/** Skips (or, under CI=true, fails) a suite whose store cannot run here. */
export function requireStore(ctx: Mocha.Context, kind: StoreKind): void {
  if (kind === 'local') return;
  const problem = swiftMissing();
  if (problem === undefined) return;
  if (process.env.CI === 'true') throw new Error(`Swift is required under CI=true: ${problem}`);
  skipWith(ctx, problem);
}

/** Skips a test that is about one store's own behaviour (the local disk's fast paths, say). */
export function onlyOn(ctx: Mocha.Context, kind: StoreKind, store: StoreKind, why: string): void {
  if (store !== kind) skipWith(ctx, why);
}

/** A fresh store: the local root folder, or a new bucket on the run's Swift. */
export async function makeTestStore(
  kind: StoreKind,
  root: string,
  tuning: S3StoreTuning = {},
): Promise<TestStore> {
  if (kind === 'local') return { files: localFiles(root), close: () => undefined };
  const swift = await sharedSwift();
  const bucket = `ftpkit-${randomBytes(6).toString('hex')}`;
  const client = s3Client(swift);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const store: S3Store = await openS3Store({
    location: { bucket, prefix: '' },
    endpoint: swift.endpoint,
    pathStyle: true,
    credentials: SWIFT_CREDENTIALS,
    ...tuning,
  });
  return {
    bucket,
    files: s3Files(client, bucket),
    createFileSystem: (home) => Promise.resolve(store.at(home)),
    close() {
      store.close();
      client.destroy();
    },
  };
}

/** A plain SDK client for the run's Swift, for tests that look at the bucket themselves. */
export function s3Client(swift: Swift): S3Client {
  return createS3Client({ endpoint: swift.endpoint, pathStyle: true, credentials: SWIFT_CREDENTIALS });
}

function localFiles(root: string): StoreFiles {
  const at = (path: string): string => join(root, path);
  return {
    async write(path, data) {
      await mkdir(dirname(at(path)), { recursive: true });
      await writeFile(at(path), data);
    },
    read: (path) => readFile(at(path)),
    async mkdir(path) {
      await mkdir(at(path), { recursive: true });
    },
    async modified(path) {
      return (await stat(at(path))).mtime;
    },
    async names() {
      const names: string[] = [];
      for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
        const name = join(entry.parentPath, entry.name).slice(root.length + 1);
        names.push(entry.isDirectory() ? `${name}/` : name);
      }
      return names.sort();
    },
    async leftovers() {
      return (await readdir(root, { recursive: true })).filter((name) => name.includes(UPLOAD_TEMP_PREFIX));
    },
  };
}

function s3Files(client: S3Client, bucket: string): StoreFiles {
  return {
    async write(path, data) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: path, Body: data }));
    },
    async read(path) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: path }));
      return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    },
    async mkdir(path) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${path.replace(/\/$/, '')}/`,
          Body: Buffer.alloc(0),
          ContentLength: 0,
        }),
      );
    },
    async modified(path) {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: path }));
      // Where the S3 store keeps MFMT's time (src/server/fs/s3/store.ts).
      const kept = head.Metadata?.['ftp-mtime'];
      return kept === undefined ? (head.LastModified ?? new Date(0)) : new Date(Number(kept));
    },
    async names() {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) if (object.Key !== undefined) names.push(object.Key);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return names.sort();
    },
    async leftovers() {
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return (uploads.Uploads ?? []).map((u) => `multipart upload of ${u.Key ?? '?'}`);
    },
  };
}
