import type { FileSystem } from '../file-system.js';
import type { S3ConnectionOptions } from './client.js';
import type { S3Location } from './location.js';
import type { S3StoreTuning } from './store.js';

export { parseS3Url, formatS3Url, type S3Location } from './location.js';
export type { S3ConnectionOptions } from './client.js';
export type { S3StoreTuning } from './store.js';

/** An S3 store: where it is, how to reach it, and how to tune it. */
export interface S3StoreOptions extends S3ConnectionOptions, S3StoreTuning {
  location: S3Location;
}

/** One bucket (and prefix) shared by every account, each in a prefix of its own. */
export interface S3Store {
  /** Fails with a one-line message when the bucket cannot be used (missing, refused, unreachable). */
  check(): Promise<void>;
  /** The file system of an account whose home is `home`, a path relative to the store's root. */
  at(home: string): FileSystem;
  /** Closes the client's connections. */
  close(): void;
}

/**
 * Opens an S3 store. The AWS SDK is loaded here, on first use, so a server on the local disk never
 * pays for loading it.
 */
export async function openS3Store(options: S3StoreOptions): Promise<S3Store> {
  const { createS3Store } = await import('./open.js');
  return createS3Store(options);
}
