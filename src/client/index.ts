// The client's public surface: what `import { FtpClient } from 'ftpkit'` (or 'ftpkit/client') offers.
export { FtpClient, isPlainName, type TlsStatus } from './client.js';
export {
  mirror,
  LocalConflictError,
  RemoteConflictError,
  UnsafeLocalPathError,
  type MirrorOptions,
  type MirrorFileEvent,
  type MirrorSummary,
} from './mirror.js';
export {
  FtpReplyError,
  ConnectionClosedError,
  ClientTimeoutError,
  ForeignDataPeerError,
  ForeignPasvHostError,
  TlsCertificateError,
  type TimeoutPhase,
  type CertificateProblem,
} from './errors.js';
export type * from './options.js';
export type { Clock } from './clock.js';
export {
  FtpError,
  ProtocolViolationError,
  Reply,
  type ReplyCode,
  type FtpReply,
  type FileEntry,
  type EntryType,
  type TimePrecision,
} from '../protocol/index.js';
