export { FtpServer, type FtpServerInit } from './server.js';
export { defaultOptions, type ServerOptions, type PortRange } from './options.js';
export type { FileSystem, Upload, WriteMode } from './fs/file-system.js';
export type { Account, Authenticator } from './auth/account.js';
export { LocalFileSystem } from './fs/local.js';
export { UsersFileAuthenticator, upsertUser } from './auth/users-file.js';
export { AnonymousAuthenticator } from './auth/anonymous.js';
export { chainAuthenticators } from './auth/chain.js';
export { createLogger } from './logger.js';
