import { Limits } from './limits.js';

export type DecodedLine = { kind: 'line'; line: string } | { kind: 'too-long' };

export interface CommandDecoderOptions {
  /** Longest line accepted, line terminator included. */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const IAC = 0xff;
const WILL = 0xfb;
const DONT = 0xfe;

/** Where we are in a Telnet sequence. */
type TelnetState = 'data' | 'command' | 'option';
// 'command': saw IAC, the next byte is a command (or a second IAC meaning a literal 0xFF).
// 'option': saw IAC WILL/WONT/DO/DONT, the next byte is the option code and is dropped.

/**
 * Frames the server's control channel into lines. Telnet sequences are removed before framing, so
 * an option byte that happens to be 0x0A can never end a line (FTP uses no subnegotiation, so
 * IAC SB is dropped as a 2-byte command like IP or DM). The line buffer is allocated once
 * at the limit: a peer that never sends LF cannot make us hold more than that.
 */
export class CommandDecoder {
  readonly #buffer: Buffer;
  #length = 0;
  #telnet: TelnetState = 'data';
  /** Inside an over-long line: bytes are dropped until its LF. */
  #discarding = false;

  constructor(options: CommandDecoderOptions = {}) {
    const max = options.maxLineBytes ?? Limits.maxCommandLineBytes;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${max}`);
    }
    // The LF itself is never stored, so the stored part (CR included) may use max - 1 bytes.
    this.#buffer = Buffer.alloc(max - 1);
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
    return out;
  }

  #data(byte: number, out: DecodedLine[]): void {
    if (byte === LF) {
      if (this.#discarding) {
        this.#discarding = false;
      } else {
        let end = this.#length;
        if (end > 0 && this.#buffer[end - 1] === CR) end--;
        out.push({ kind: 'line', line: this.#buffer.toString('utf8', 0, end) });
      }
      this.#length = 0;
      return;
    }
    if (this.#discarding) return;
    if (this.#length === this.#buffer.length) {
      this.#discarding = true;
      this.#length = 0;
      out.push({ kind: 'too-long' });
      return;
    }
    this.#buffer[this.#length++] = byte;
  }
}
