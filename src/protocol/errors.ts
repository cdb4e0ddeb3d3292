import { Reply, type ReplyCode } from './reply-codes.js';

/**
 * An error that carries the FTP reply it maps to. The server turns any FtpError into a reply in
 * one place; the client raises one for every 4xx/5xx reply. `code` is a stable string for
 * programs ("ERR_FTP_..."), as Node's own errors have, one per class.
 */
export class FtpError extends Error {
  /** A stable string for programs: "ERR_FTP", or the subclass's own "ERR_FTP_...". */
  readonly code: string = 'ERR_FTP';
  /** The FTP reply code this error is (client) or becomes (server), 550 for instance. */
  readonly replyCode: ReplyCode;

  constructor(replyCode: ReplyCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.replyCode = replyCode;
    this.name = 'FtpError';
  }
}

/** 550: no such file, not a directory, permission denied, outside the root. */
export class FileUnavailableError extends FtpError {
  /** Always "ERR_FTP_FILE_UNAVAILABLE". */
  override readonly code: string = 'ERR_FTP_FILE_UNAVAILABLE';

  constructor(message = 'File unavailable.', options?: ErrorOptions) {
    super(Reply.FileUnavailable, message, options);
    this.name = 'FileUnavailableError';
  }
}

/** 553: the name is not allowed (bad characters, exists where it must not). */
export class FileNameNotAllowedError extends FtpError {
  /** Always "ERR_FTP_FILE_NAME_NOT_ALLOWED". */
  override readonly code: string = 'ERR_FTP_FILE_NAME_NOT_ALLOWED';

  constructor(message = 'File name not allowed.', options?: ErrorOptions) {
    super(Reply.FileNameNotAllowed, message, options);
    this.name = 'FileNameNotAllowedError';
  }
}

/** 501: the argument does not parse. */
export class SyntaxErrorInArgs extends FtpError {
  /** Always "ERR_FTP_SYNTAX_IN_ARGS". */
  override readonly code: string = 'ERR_FTP_SYNTAX_IN_ARGS';

  constructor(message = 'Syntax error in parameters or arguments.', options?: ErrorOptions) {
    super(Reply.SyntaxErrorInArgs, message, options);
    this.name = 'SyntaxErrorInArgs';
  }
}

/** 425: the data connection could not be opened. */
export class DataConnectionError extends FtpError {
  /** Always "ERR_FTP_DATA_CONNECTION". */
  override readonly code: string = 'ERR_FTP_DATA_CONNECTION';

  constructor(message = "Can't open data connection.", options?: ErrorOptions) {
    super(Reply.CantOpenData, message, options);
    this.name = 'DataConnectionError';
  }
}

/** 426: the data connection broke or was aborted during a transfer. */
export class TransferAbortedError extends FtpError {
  /** Always "ERR_FTP_TRANSFER_ABORTED". */
  override readonly code: string = 'ERR_FTP_TRANSFER_ABORTED';

  constructor(message = 'Connection closed; transfer aborted.', options?: ErrorOptions) {
    super(Reply.TransferAborted, message, options);
    this.name = 'TransferAbortedError';
  }
}

/** 451: a local failure (disk error) while processing. */
export class LocalProcessingError extends FtpError {
  /** Always "ERR_FTP_LOCAL_PROCESSING". */
  override readonly code: string = 'ERR_FTP_LOCAL_PROCESSING';

  constructor(message = 'Requested action aborted: local error in processing.', options?: ErrorOptions) {
    super(Reply.LocalError, message, options);
    this.name = 'LocalProcessingError';
  }
}

/** 452: the file system is full (ENOSPC); the client may try again later. */
export class InsufficientStorageError extends FtpError {
  /** Always "ERR_FTP_INSUFFICIENT_STORAGE". */
  override readonly code: string = 'ERR_FTP_INSUFFICIENT_STORAGE';

  constructor(message = 'Insufficient storage space in system.', options?: ErrorOptions) {
    super(Reply.InsufficientStorage, message, options);
    this.name = 'InsufficientStorageError';
  }
}

/** 552: the user's allocation is used up (quota) or the file grew past what the system allows. */
export class StorageExceededError extends FtpError {
  /** Always "ERR_FTP_STORAGE_EXCEEDED". */
  override readonly code: string = 'ERR_FTP_STORAGE_EXCEEDED';

  constructor(
    message = 'Requested file action aborted: exceeded storage allocation.',
    options?: ErrorOptions,
  ) {
    super(Reply.ExceededStorage, message, options);
    this.name = 'StorageExceededError';
  }
}

/** The peer broke the protocol (malformed reply, over-long line): the connection cannot continue. */
export class ProtocolViolationError extends Error {
  /** Always "ERR_FTP_PROTOCOL_VIOLATION". */
  readonly code: string = 'ERR_FTP_PROTOCOL_VIOLATION';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProtocolViolationError';
  }
}
