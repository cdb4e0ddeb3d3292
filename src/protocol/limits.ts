/** Every size limit of the protocol layer, in one place. */
export const Limits = {
  /** Longest command line accepted, CRLF included (vsftpd uses 4096, pyftpdlib 2048). */
  maxCommandLineBytes: 4096,
  /** Largest reply, all lines together, a client buffers before giving up on the peer. */
  maxReplyBytes: 64 * 1024,
  /** Longest single listing line a client parses. */
  maxListingLineBytes: 8192,
} as const;
