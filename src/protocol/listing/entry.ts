/** What a listing entry is; shared by the server (to format) and the client (parsed). */
export type EntryType = 'file' | 'dir' | 'link' | 'other';

/**
 * How finely a listed time is known: to the second (MLSx, MDTM), to the minute (an `ls -l` line
 * with a time of day, a DOS line) or to the day (an `ls -l` line that shows a year instead).
 */
export type TimePrecision = 'second' | 'minute' | 'day';

/** One entry of a directory listing, or what `stat()` says of one path. */
export interface FileEntry {
  /** Base name as it appears in the directory (never contains "/"). */
  name: string;
  /** A file, a directory, a symbolic link (where the listing shows links), or something else. */
  type: EntryType;
  /** Size in bytes; 0 where unknown. */
  size: number;
  /**
   * Last modification time, where known. MLSx times are UTC; a LIST line's time is the server's
   * own clock, whatever its zone, taken as if it were UTC.
   */
  modified?: Date;
  /** How finely `modified` is known. */
  modifiedPrecision?: TimePrecision;
  /** Unix permission bits (e.g. 0o644), where known. */
  mode?: number;
  /** The number of hard links, from an `ls -l` line. */
  nlink?: number;
  /** The owner, as the server names it (a name or a number). */
  owner?: string;
  /** The group, as the server names it (a name or a number). */
  group?: string;
  /** Link target as the listing shows it, for type 'link'. */
  target?: string;
  /** Raw MLSx facts as parsed (lower-case keys), for the client. */
  facts?: Record<string, string>;
}
