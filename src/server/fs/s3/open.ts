import { posix } from 'node:path';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FileSystem } from '../file-system.js';
import { createS3Client } from './client.js';
import { s3Status } from './errors.js';
import { formatS3Url } from './location.js';
import type { S3Store, S3StoreOptions } from './index.js';
import { S3FileSystem } from './store.js';

/** The store behind openS3Store(); loaded only when an S3 store is used, with the SDK. */
export function createS3Store(options: S3StoreOptions): S3Store {
  const client = createS3Client(options);
  const { location } = options;
  return {
    check: () => checkBucket(client, options),
    at(home: string): FileSystem {
      const segments = posix
        .normalize(`/${home}`)
        .split('/')
        .filter((s) => s !== '');
      const prefix = location.prefix + segments.map((s) => `${s}/`).join('');
      return new S3FileSystem(client, { bucket: location.bucket, prefix }, options);
    },
    close: () => client.destroy(),
  };
}

/** HeadBucket: a missing bucket, wrong credentials or an engine that is not there, in one line. */
async function checkBucket(client: S3Client, options: S3StoreOptions): Promise<void> {
  const where = formatS3Url(options.location);
  const endpoint = options.endpoint ?? 'AWS';
  try {
    await client.send(new HeadBucketCommand({ Bucket: options.location.bucket }));
  } catch (err) {
    const { name, status } = s3Status(err);
    if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') {
      throw new Error(`the bucket of ${where} does not exist at ${endpoint}`);
    }
    if (status === 403 || status === 401) {
      throw new Error(`access to ${where} at ${endpoint} was refused: check the S3 credentials`);
    }
    const reason = status === undefined ? (err as Error).message || name : `HTTP ${status}`;
    throw new Error(`cannot reach ${where} at ${endpoint}: ${reason}`);
  }
}
