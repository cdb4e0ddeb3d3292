// The client's public surface: what `import { FtpClient } from 'ftpkit/client'` offers.
export { FtpClient, isPlainName } from './client.js';
export { mirror, type MirrorOptions, type MirrorFileEvent, type MirrorSummary } from './mirror.js';
export { FtpReplyError, ConnectionClosedError, ClientTimeoutError } from './errors.js';
export type * from './options.js';
export { FtpError, type FtpReply, type FileEntry, type EntryType } from '../protocol/index.js';
