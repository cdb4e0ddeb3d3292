import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { describeErrno } from '../fs/errors.js';
import type { ServerObserver, TransferRecord } from './observer.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** What would split a field: blanks and control characters. */
const BLANKS = /[\s\p{Cc}]/gu;
/** Lines waiting for a slow disk, at most: past this, lines are dropped and counted, not held. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** ctime(3) in local time, as wu-ftpd, vsftpd and ProFTPD write it: "Sun Dec  6 06:22:53 2026". */
function ctime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, ' ')} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${date.getFullYear()}`
  );
}

/**
 * One line of xferlog(5), the wu-ftpd transfer log that analysers (webalizer, AWStats, xferstats)
 * read: time, seconds, host, bytes, file, type, action, direction, access mode, user, service,
 * authentication method, authenticated id, completion. Fields are split on spaces, so blanks and
 * control characters in the name become "_", as the other servers do. Seconds are rounded, and
 * at least 1, since analysers divide by them. An anonymous user is logged by name, never by the
 * e-mail address given as password.
 */
export function formatXferLine(record: TransferRecord): string {
  const seconds = Math.max(1, Math.round(record.ms / 1000));
  const file = record.path.replace(BLANKS, '_');
  const user = record.user.replace(BLANKS, '_') || '*';
  return [
    ctime(new Date(record.endedAt)),
    seconds,
    record.ip,
    record.bytes,
    file,
    record.type === 'A' ? 'a' : 'b',
    '_',
    record.direction === 'send' ? 'o' : 'i',
    record.anonymous ? 'a' : 'r',
    user,
    'ftp',
    '0',
    '*',
    record.ok ? 'c' : 'i',
  ].join(' ');
}

/** Appends a line per file transfer (not listings) to a file in xferlog format. */
export class XferLog implements ServerObserver {
  #stream: WriteStream;
  #dropped = 0;

  private constructor(
    readonly file: string,
    stream: WriteStream,
    private readonly onError: (message: string) => void,
  ) {
    this.#stream = stream;
  }

  /** Opens (creating or appending to) the file; rejects with a one-line reason if it cannot. */
  static async open(file: string, onError: (message: string) => void): Promise<XferLog> {
    const log = new XferLog(file, await openStream(file), onError);
    log.#watch();
    return log;
  }

  transfer(record: TransferRecord): void {
    if (record.direction === 'list') return;
    // A stream that failed (a full disk) is dead until reopen(): its lines are counted, not kept.
    if (this.#stream.destroyed || this.#stream.writableLength > MAX_BUFFERED_BYTES) {
      this.#dropped += 1;
      return;
    }
    if (this.#dropped > 0) {
      this.onError(`xferlog ${this.file}: ${this.#dropped} lines dropped while it could not be written`);
      this.#dropped = 0;
    }
    this.#stream.write(formatXferLine(record) + '\n');
  }

  /** After log rotation (SIGHUP): lines go to a new file of the same name. */
  async reopen(): Promise<void> {
    const next = await openStream(this.file);
    const old = this.#stream;
    this.#stream = next;
    this.#watch();
    old.end();
  }

  async close(): Promise<void> {
    const stream = this.#stream;
    if (stream.closed) return;
    const closed = once(stream, 'close').catch(() => undefined);
    stream.end();
    await closed;
  }

  #watch(): void {
    const stream = this.#stream;
    stream.on('error', (err) => {
      this.onError(`xferlog ${this.file}: ${err.message}`);
    });
  }
}

async function openStream(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file, { flags: 'a' });
  try {
    await once(stream, 'open');
  } catch (err) {
    throw new Error(`cannot open the xferlog ${file}: ${describeErrno(err)}`);
  }
  return stream;
}
