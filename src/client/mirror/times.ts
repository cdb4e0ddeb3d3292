import type { FtpClient } from '../client.js';
import { FtpReplyError } from '../errors.js';
import type { FileEntry } from '../../protocol/index.js';

/** A remote modification time and how finely it is known. */
export interface RemoteTime {
  time: Date;
  /** 1000 for MLSD and MDTM (whole seconds); a minute or a day for a LIST line. */
  resolutionMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

const RESOLUTION_MS = { second: SECOND, minute: MINUTE, day: DAY } as const;

/** The time a listing gives, if any. */
export function listedTime(entry: FileEntry): RemoteTime | undefined {
  const time = entry.modified;
  if (time === undefined || Number.isNaN(time.getTime())) return undefined;
  // A listing that does not say is taken at a LIST line's usual minute.
  return { time, resolutionMs: RESOLUTION_MS[entry.modifiedPrecision ?? 'minute'] };
}

/**
 * The entry's time to the second: from an MLSD listing as it is, otherwise from MDTM when the
 * server offers it, otherwise what the LIST line says. A refused MDTM is not an error here.
 */
export async function preciseTime(
  client: FtpClient,
  remotePath: string,
  entry: FileEntry,
): Promise<RemoteTime | undefined> {
  const listed = listedTime(entry);
  if (listed !== undefined && listed.resolutionMs <= SECOND) return listed;
  if (client.features.has('MDTM')) {
    try {
      return { time: await client.modifiedTime(remotePath), resolutionMs: SECOND };
    } catch (error) {
      if (!(error instanceof FtpReplyError)) throw error;
    }
  }
  return listed;
}

/**
 * Whether `a` is later than `b` at the given resolution (never finer than a second: MDTM, MFMT and
 * MLSD carry whole seconds while local times carry nanoseconds, so a time copied across must
 * compare equal to its source).
 */
export function isLater(a: Date, b: Date, resolutionMs: number): boolean {
  const step = Math.max(SECOND, resolutionMs);
  return Math.floor(a.getTime() / step) > Math.floor(b.getTime() / step);
}
