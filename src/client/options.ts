import type { Logger } from 'pino';
import type { FileEntry } from '../protocol/index.js';
import type { Clock } from './clock.js';

/** Who opens the data connection: the server (active: PORT/EPRT) or the client (passive: PASV/EPSV). */
export type DataMode = 'active' | 'passive';

/** TYPE I (bytes as they are) or TYPE A (line endings converted to CRLF on the wire). */
export type TransferType = 'binary' | 'ascii';

/**
 * How the control connection's text (commands, replies, names in listings) is encoded: UTF-8
 * (RFC 2640, what nearly every server speaks today) or Latin-1 for an old server that does not.
 */
export type ControlEncoding = 'utf8' | 'latin1';

/**
 * Turns a directory listing's text into entries, in place of the built-in parser (MLSD facts,
 * Unix and DOS LIST lines: `parseListing` from 'ftpkit/protocol', which a replacement can fall
 * back to). `verb` says which command produced the text.
 */
export type ListingParser = (text: string, verb: 'MLSD' | 'LIST') => FileEntry[];

/** One line of the protocol exchange, for verbose output. PASS arguments arrive masked. */
export interface ProtocolLine {
  /** A command the client sent, or a reply line it received. */
  direction: 'sent' | 'received';
  /** The line without its CRLF; a reply line starts with its code ("226 Done."). */
  text: string;
}

/**
 * FTPS (RFC 4217): `false` is plain FTP; 'explicit' asks for TLS after the greeting (AUTH TLS, on
 * the FTP port, 21 by default); 'implicit' speaks TLS from the first byte (port 990 by default).
 */
export type SecureMode = false | 'explicit' | 'implicit';

/** How a secure connection verifies the server. */
export interface TlsOptions {
  /** Certificates (PEM) to trust instead of Node's bundled authorities: a private CA, or a self-signed server. */
  ca?: string | Buffer | (string | Buffer)[];
  /**
   * Refuse a certificate that does not verify (TlsCertificateError, before anything is sent);
   * default true. False accepts any certificate: the connection is then encrypted, but anyone in
   * the way can pose as the server.
   */
  rejectUnauthorized?: boolean;
  /** The name the certificate must carry, and the SNI sent; default the host connected to. */
  servername?: string;
}

/** How an FtpClient works: its data mode, timeouts, limits, encoding, security and what it reports. */
export interface ClientOptions extends TlsOptions {
  /**
   * FTPS, default false (plain FTP). With TLS every data connection is TLS too (PBSZ 0, PROT P),
   * and resumes the control connection's TLS session, as servers that check it require.
   */
  secure?: SecureMode;
  /** Data connection mode; default 'passive'. Can be changed later with `client.mode = ...`. */
  mode?: DataMode;
  /** Milliseconds for the TCP connect and the greeting. Default 15,000. */
  connectTimeoutMs?: number;
  /** Milliseconds a command may wait for its reply (not counting a transfer in progress). Default 30,000. */
  replyTimeoutMs?: number;
  /** Milliseconds a data connection may take to open, or stay silent while open. Default 30,000. */
  dataTimeoutMs?: number;
  /**
   * Active mode: the address to advertise in EPRT/PORT instead of the control socket's local
   * address (a NAT's public address). The listening socket still binds the local address.
   */
  activeAddress?: string;
  /**
   * Passive mode: accept a PASV reply that names a host other than the control connection's
   * peer. Off by default: such a reply is refused, as it can point the client at a third host.
   */
  allowForeignPasvHost?: boolean;
  /**
   * Active mode: take the data connection from any address, not only from the control
   * connection's peer. Off by default: a connection from elsewhere is turned away, as anyone who
   * finds the port could otherwise feed or read the transfer; and when the transfer then fails,
   * it fails with a ForeignDataPeerError that names the address. Behind a load balancer or NAT
   * the server connects from an address of its own, and needs this. Either way only the first
   * connection taken is used; later ones are turned away.
   */
  allowForeignActivePeer?: boolean;
  /** Largest directory listing accepted, in bytes. Default 64 MiB. */
  maxListingBytes?: number;
  /**
   * The control connection's encoding; default 'utf8'. With 'latin1' the client does not ask the
   * server for UTF-8 (OPTS UTF8 ON).
   */
  encoding?: ControlEncoding;
  /** A listing parser of your own, for a server whose listings the built-in one cannot read. */
  parseListing?: ListingParser;
  /** Called for every command sent and reply line received (passwords masked). */
  onProtocol?: (line: ProtocolLine) => void;
  /** Structured debug logs of the exchange (passwords masked); silent when absent. */
  logger?: Logger;
  /**
   * What progress reports and an aborted upload's grace are timed with; the system's by default.
   * For tests, which move a clock of their own instead of waiting.
   */
  clock?: Clock;
}

/** FtpClient.connect()'s options: where, as whom, and the client's own options. */
export interface ConnectOptions extends ClientOptions {
  /** The server's host name or IP address (an IPv6 address without brackets). */
  host: string;
  /** Default 21; 990 with `secure: 'implicit'`. */
  port?: number;
  /** Default 'anonymous'. */
  user?: string;
  /** Default 'anonymous@' for the anonymous user, '' otherwise. */
  password?: string;
  /** Cancels connecting and logging in: FtpClient.connect() rejects with its reason. */
  signal?: AbortSignal;
}

/**
 * Passed to `onProgress` as a transfer moves: at most about ten times a second while data comes,
 * at least every 250 ms while the transfer runs (a stalled one shows its rate falling), and once
 * at the end.
 */
export interface TransferProgress {
  /** Bytes moved in this transfer (not counting a resume offset). */
  bytes: number;
  /** Bytes the whole file will have, when known (the resume offset included). */
  total?: number;
  /** Where the transfer started in the file (REST / APPE offset). */
  offset: number;
  /** Bytes per second since the transfer started. */
  rate: number;
  /** True on the last call, once the transfer is complete. */
  done: boolean;
}

/** list()'s options. */
export interface ListOptions {
  /** Cancels the listing, or drops it while it waits for its turn. */
  signal?: AbortSignal;
  /**
   * Hidden names too: a LIST listing is asked for with "LIST -a", as ls-style servers (vsftpd,
   * ProFTPD) want; MLSD always lists every name.
   */
  all?: boolean;
}

/** What download() and upload() both take. */
export interface TransferOptions {
  /** Overrides the client's current type for this transfer. */
  type?: TransferType;
  /** Cancels the transfer: the client sends ABOR, the promise rejects, the connection stays usable. */
  signal?: AbortSignal;
  /**
   * Progress reports. A binary download then asks SIZE first where the server offers it, so that
   * `total` is known even when the 150 reply does not say it.
   */
  onProgress?: (progress: TransferProgress) => void;
}

/** download()'s options. */
export interface DownloadOptions extends TransferOptions {
  /** Start this many bytes into the remote file (REST). */
  offset?: number;
  /**
   * Downloading to a local file: continue after the bytes already in it (REST with its size,
   * appending locally). Ignored for streams.
   */
  resume?: boolean;
}

/** upload()'s options. */
export interface UploadOptions extends TransferOptions {
  /** Append to the remote file (APPE) instead of replacing it. */
  append?: boolean;
  /**
   * Uploading a local file: ask the server how much of the remote file exists (SIZE) and send only
   * the rest (APPE). Ignored for streams.
   */
  resume?: boolean;
  /**
   * Uploading a local file: send only its bytes from `start` (default 0) up to `end` (exclusive;
   * default the file's size), to the remote path (or its end, with `append`). Not with `resume`.
   */
  range?: {
    /** The first byte sent; default 0. */
    start?: number;
    /** The byte after the last one sent; default the file's size. */
    end?: number;
  };
}

/** What a completed transfer reports. */
export interface TransferResult {
  /** Bytes moved over the data connection's payload (after ASCII conversion on download). */
  bytes: number;
  /** The final reply's text (226 / 250). */
  message: string;
}
