/** Named reply codes (RFC 959 section 4.2, RFC 2428, RFC 3659, RFC 4217), so handlers read as intent. */
export const Reply = {
  /** 110: restart marker reply (stream mode has none). */
  RestartMarker: 110,
  /** 120: service ready in a number of minutes. */
  ServiceReadyIn: 120,
  /** 125: data connection already open; transfer starting. */
  DataAlreadyOpen: 125,
  /** 150: file status okay; about to open the data connection. */
  FileStatusOk: 150,
  /** 200: command okay. */
  CommandOk: 200,
  /** 202: command not needed here (a login that asks no password). */
  CommandSuperfluous: 202,
  /** 211: system status, or the FEAT reply. */
  SystemStatus: 211,
  /** 212: directory status. */
  DirectoryStatus: 212,
  /** 213: file status (SIZE, MDTM, STAT of a file). */
  FileStatus: 213,
  /** 214: help message. */
  HelpMessage: 214,
  /** 215: the system type (SYST). */
  SystemType: 215,
  /** 220: service ready for a new user (the greeting). */
  ServiceReady: 220,
  /** 221: closing the control connection (QUIT). */
  ClosingControl: 221,
  /** 225: data connection open, no transfer in progress (an ABOR with nothing to abort). */
  DataOpenNoTransfer: 225,
  /** 226: closing the data connection; the transfer is complete. */
  ClosingData: 226,
  /** 227: entering passive mode (PASV). */
  EnteringPassive: 227,
  /** 229: entering extended passive mode (EPSV). */
  EnteringExtendedPassive: 229,
  /** 230: user logged in. */
  LoggedIn: 230,
  /** 234: AUTH accepted; the TLS handshake follows (RFC 4217). */
  AuthOk: 234,
  /** 250: requested file action okay, completed. */
  FileActionOk: 250,
  /** 257: pathname created (MKD), or the current one (PWD). */
  PathCreated: 257,
  /** 331: user name okay, need a password. */
  NeedPassword: 331,
  /** 332: need an account for login. */
  NeedAccount: 332,
  /** 350: requested file action pending further information (REST, RNFR). */
  PendingFurtherInfo: 350,
  /** 421: service not available; the server closes the connection. */
  ServiceNotAvailable: 421,
  /** 425: can't open the data connection. */
  CantOpenData: 425,
  /** 426: connection closed; transfer aborted. */
  TransferAborted: 426,
  /** 450: file action not taken (the file is busy). */
  FileActionNotTaken: 450,
  /** 451: action aborted: local error in processing. */
  LocalError: 451,
  /** 452: action not taken: insufficient storage space. */
  InsufficientStorage: 452,
  /** 500: syntax error, command unrecognized. */
  SyntaxError: 500,
  /** 501: syntax error in parameters or arguments. */
  SyntaxErrorInArgs: 501,
  /** 502: command not implemented. */
  NotImplemented: 502,
  /** 503: bad sequence of commands. */
  BadSequence: 503,
  /** 504: command not implemented for that parameter. */
  NotImplementedForParam: 504,
  /** 522: network protocol not supported (EPRT, EPSV). */
  NetworkProtocolNotSupported: 522,
  /** 521: the data connection cannot be opened with this PROT setting (RFC 4217). */
  DataProtectionRequired: 521,
  /** 530: not logged in. */
  NotLoggedIn: 530,
  /** 532: need an account for storing files. */
  NeedAccountToStore: 532,
  /** 533: command protection level denied for policy reasons (RFC 2228; CCC here). */
  ProtectionDenied: 533,
  /** 534: request denied for policy reasons (RFC 2228). */
  DeniedByPolicy: 534,
  /** 536: requested PROT level not supported (RFC 2228). */
  ProtLevelNotSupported: 536,
  /** 550: file unavailable (not found, no access). */
  FileUnavailable: 550,
  /** 551: action aborted: page type unknown. */
  PageTypeUnknown: 551,
  /** 552: action aborted: exceeded storage allocation. */
  ExceededStorage: 552,
  /** 553: action not taken: file name not allowed. */
  FileNameNotAllowed: 553,
} as const;

/** A three-digit FTP reply code (RFC 959 4.2): its first digit says success, wait or failure. */
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
