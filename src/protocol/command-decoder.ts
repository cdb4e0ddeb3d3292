import { isUtf8 } from 'node:buffer';
import { Limits } from './limits.js';

/**
 * One line of the control channel. `notUtf8` marks a line whose bytes are not valid UTF-8: its
 * text then holds U+FFFD in their place, and two different names could read the same.
 */
export type DecodedLine = { kind: 'line'; line: string; notUtf8?: true } | { kind: 'too-long' };

export interface CommandDecoderOptions {
  /** Longest line accepted, line terminator included. */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const IAC = 0xff;
/** The lowest Telnet command byte (SE); below it, a byte after IAC is not a command. */
const SE = 0xf0;
const WILL = 0xfb;
const DONT = 0xfe;
const EMPTY = Buffer.alloc(0);

/** Where we are in a Telnet sequence. */
type TelnetState = 'data' | 'command' | 'option';
// 'command': saw IAC, the next byte is a command (or a second IAC meaning a literal 0xFF).
// 'option': saw IAC WILL/WONT/DO/DONT, the next byte is the option code and is dropped.

/**
 * Frames the server's control channel into lines. Telnet sequences are removed before framing, so
 * an option byte that happens to be 0x0A can never end a line (FTP uses no subnegotiation, so
 * IAC SB is dropped as a 2-byte command like IP or DM). The line buffer grows on demand up to the
 * limit, so a peer that never sends LF cannot make us hold more than that, and it is released
 * whenever no partial line is pending: an idle session holds no buffer at all.
 */
export class CommandDecoder {
  readonly #max: number;
  #buffer: Buffer = EMPTY;
  #length = 0;
  #telnet: TelnetState = 'data';
  /** Inside an over-long line: bytes are dropped until its LF. */
  #discarding = false;
  /** An ABOR was completed without its LF (see #urgentAbort); drop the LF if it still comes. */
  #dropLf = false;

  constructor(options: CommandDecoderOptions = {}) {
    const max = options.maxLineBytes ?? Limits.maxCommandLineBytes;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${max}`);
    }
    // The LF itself is never stored, so the stored part (CR included) may use max - 1 bytes.
    this.#max = max - 1;
  }

  /**
   * Feeds one chunk; returns the lines it completed, in order. An over-long line yields one
   * 'too-long' as soon as it crosses the limit (so the server can answer without waiting for the
   * LF), then the rest of it up to the LF is discarded.
   */
  push(chunk: Buffer): DecodedLine[] {
    const out: DecodedLine[] = [];
    for (const byte of chunk) {
      switch (this.#telnet) {
        case 'command':
          if (byte === IAC) {
            this.#telnet = 'data';
            this.#data(byte, out);
          } else if (byte < SE) {
            // A lone IAC: the DM of a Telnet Synch (IAC IP IAC DM) travels as urgent data, which
            // Linux takes out of the stream, so ABOR from lftp or tnftp arrives as IAC IP IAC "ABOR".
            this.#telnet = 'data';
            this.#data(byte, out);
          } else {
            this.#telnet = byte >= WILL && byte <= DONT ? 'option' : 'data';
          }
          continue;
        case 'option':
          this.#telnet = 'data';
          continue;
        case 'data':
          if (byte === IAC) {
            this.#telnet = 'command';
          } else {
            this.#data(byte, out);
          }
          continue;
      }
    }
    this.#urgentAbort(out);
    if (this.#length === 0) this.#buffer = EMPTY;
    return out;
  }

  /**
   * Python's ftplib sends "ABOR\r\n" entirely as TCP urgent data; Linux takes the last byte (the
   * LF) out of the stream, and Node cannot ask for it back (no SO_OOBINLINE). A chunk that leaves
   * exactly "ABOR\r" pending is therefore a complete ABOR.
   */
  #urgentAbort(out: DecodedLine[]): void {
    if (this.#length !== 5 || this.#discarding || this.#telnet !== 'data') return;
    if (this.#buffer.toString('latin1', 0, 5).toUpperCase() !== 'ABOR\r') return;
    out.push({ kind: 'line', line: this.#buffer.toString('latin1', 0, 4) });
    this.#length = 0;
    this.#dropLf = true;
  }

  #data(byte: number, out: DecodedLine[]): void {
    if (this.#dropLf) {
      this.#dropLf = false;
      if (byte === LF) return;
    }
    if (byte === LF) {
      if (this.#discarding) {
        this.#discarding = false;
      } else {
        let end = this.#length;
        if (end > 0 && this.#buffer[end - 1] === CR) end--;
        const line = this.#buffer.toString('utf8', 0, end);
        out.push(
          isUtf8(this.#buffer.subarray(0, end))
            ? { kind: 'line', line }
            : { kind: 'line', line, notUtf8: true },
        );
      }
      this.#length = 0;
      return;
    }
    if (this.#discarding) return;
    if (this.#length === this.#max) {
      this.#discarding = true;
      this.#length = 0;
      out.push({ kind: 'too-long' });
      return;
    }
    if (this.#length === this.#buffer.length) this.#grow();
    this.#buffer[this.#length++] = byte;
  }

  #grow(): void {
    const next = Buffer.allocUnsafe(Math.min(this.#max, Math.max(128, this.#buffer.length * 2)));
    this.#buffer.copy(next, 0, 0, this.#length);
    this.#buffer = next;
  }
}
