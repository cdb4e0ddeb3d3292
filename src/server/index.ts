export { FtpServer, type FtpServerInit } from './server.js';
export type { Clock } from './clock.js';
export { defaultOptions, type ServerOptions, type PortRange } from './options.js';
export type { FileSystem, ReadSource, Upload, WriteMode } from './fs/file-system.js';
export { FileRange } from './fs/file-range.js';
export type { Account, Authenticator } from './auth/account.js';
export { LocalFileSystem } from './fs/local.js';
export {
  openS3Store,
  parseS3Url,
  type S3Store,
  type S3StoreOptions,
  type S3Location,
  type S3ConnectionOptions,
  type S3StoreTuning,
} from './fs/s3/index.js';
export { UsersFileAuthenticator, upsertUser } from './auth/users-file.js';
export { AnonymousAuthenticator } from './auth/anonymous.js';
export { chainAuthenticators } from './auth/chain.js';
export { createLogger } from './logger.js';
export { applyServerV8Settings } from './v8-settings.js';
export { CredentialCache, type CredentialCacheOptions } from './auth/credential-cache.js';
export type { ServerObserver, TransferRecord, LoginResult, RefusalReason } from './observe/observer.js';
