/** One entry of a directory listing, shared by the server (to format) and the client (parsed). */
export type EntryType = 'file' | 'dir' | 'link' | 'other';

export interface FileEntry {
  /** Base name as it appears in the directory (never contains "/"). */
  name: string;
  type: EntryType;
  /** Size in bytes; 0 where unknown. */
  size: number;
  /** Last modification time, where known. */
  modified?: Date;
  /** Unix permission bits (e.g. 0o644), where known. */
  mode?: number;
  nlink?: number;
  owner?: string;
  group?: string;
  /** Link target as the listing shows it, for type 'link'. */
  target?: string;
  /** Raw MLSx facts as parsed (lower-case keys), for the client. */
  facts?: Record<string, string>;
}
