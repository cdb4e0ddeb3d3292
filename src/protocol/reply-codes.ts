/** Named reply codes (RFC 959 section 4.2, RFC 2428, RFC 3659), so handlers read as intent. */
export const Reply = {
  RestartMarker: 110,
  ServiceReadyIn: 120,
  DataAlreadyOpen: 125,
  FileStatusOk: 150,
  CommandOk: 200,
  CommandSuperfluous: 202,
  SystemStatus: 211,
  DirectoryStatus: 212,
  FileStatus: 213,
  HelpMessage: 214,
  SystemType: 215,
  ServiceReady: 220,
  ClosingControl: 221,
  DataOpenNoTransfer: 225,
  ClosingData: 226,
  EnteringPassive: 227,
  EnteringExtendedPassive: 229,
  LoggedIn: 230,
  FileActionOk: 250,
  PathCreated: 257,
  NeedPassword: 331,
  NeedAccount: 332,
  PendingFurtherInfo: 350,
  ServiceNotAvailable: 421,
  CantOpenData: 425,
  TransferAborted: 426,
  FileActionNotTaken: 450,
  LocalError: 451,
  InsufficientStorage: 452,
  SyntaxError: 500,
  SyntaxErrorInArgs: 501,
  NotImplemented: 502,
  BadSequence: 503,
  NotImplementedForParam: 504,
  NetworkProtocolNotSupported: 522,
  NotLoggedIn: 530,
  NeedAccountToStore: 532,
  FileUnavailable: 550,
  PageTypeUnknown: 551,
  ExceededStorage: 552,
  FileNameNotAllowed: 553,
} as const;

export type ReplyCode = number;

export const isPreliminary = (code: ReplyCode): boolean => code >= 100 && code < 200;
export const isCompletion = (code: ReplyCode): boolean => code >= 200 && code < 300;
export const isIntermediate = (code: ReplyCode): boolean => code >= 300 && code < 400;
export const isTransientFailure = (code: ReplyCode): boolean => code >= 400 && code < 500;
export const isPermanentFailure = (code: ReplyCode): boolean => code >= 500 && code < 600;
export const isFailure = (code: ReplyCode): boolean => code >= 400 && code < 600;

/**
 * The server does not know the command, or that form of it (500, 501, 502, 504), as opposed to a
 * failure of a command it knows: the sign to fall back to an older one (EPSV to PASV, MLSD to LIST).
 */
export const isUnknownCommand = (code: ReplyCode): boolean =>
  code === Reply.SyntaxError ||
  code === Reply.SyntaxErrorInArgs ||
  code === Reply.NotImplemented ||
  code === Reply.NotImplementedForParam;
