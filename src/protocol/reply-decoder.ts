import { ProtocolViolationError } from './errors.js';
import { Limits } from './limits.js';
import { makeReply, type FtpReply } from './reply.js';

export interface ReplyDecoderOptions {
  /** Largest reply (all its lines, terminators included) held before giving up on the peer. */
  maxReplyBytes?: number;
  /** How the reply text is encoded: UTF-8 (the default, RFC 2640) or Latin-1 for old servers. */
  encoding?: 'utf8' | 'latin1';
}

const LF = 0x0a;
const CR = 0x0d;

/** A reply start: three digits (1xx-6xx, 6xx being RFC 2228's protected replies), then space, "-" or end. */
const START = /^([1-6]\d\d)([ -]|$)/;

/** A multi-line reply whose end line ("123 text" or a bare "123") has not arrived yet. */
interface Pending {
  code: number;
  lines: string[];
}

/**
 * Incremental reply parser for the client: bytes in, complete replies out. Lines are decoded only
 * once complete, so a UTF-8 character split across packets survives. After it throws, the decoder
 * stays failed: the connection cannot be trusted to be in step any more.
 */
export class ReplyDecoder {
  readonly #max: number;
  readonly #encoding: 'utf8' | 'latin1';
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #pending: Pending | undefined;
  #pendingBytes = 0;
  #failure: ProtocolViolationError | undefined;

  constructor(options: ReplyDecoderOptions = {}) {
    const max = options.maxReplyBytes ?? Limits.maxReplyBytes;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxReplyBytes must be a positive integer, got ${max}`);
    }
    this.#max = max;
    this.#encoding = options.encoding ?? 'utf8';
  }

  /** Bytes held for a reply that is not complete yet; 0 between replies. */
  get buffered(): number {
    return this.#pendingBytes + this.#partialBytes;
  }

  /**
   * Feeds one chunk; returns the replies it completed, in order.
   * @throws ProtocolViolationError for a line that cannot start a reply where one must start, or
   *   when the reply being collected grows beyond maxReplyBytes.
   */
  push(chunk: Buffer | string): FtpReply[] {
    if (this.#failure) throw this.#failure;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const out: FtpReply[] = [];
    try {
      let start = 0;
      let lf = bytes.indexOf(LF);
      while (lf !== -1) {
        this.#append(bytes.subarray(start, lf + 1));
        this.#line(out);
        start = lf + 1;
        lf = bytes.indexOf(LF, start);
      }
      if (start < bytes.length) this.#append(bytes.subarray(start));
    } catch (error) {
      if (error instanceof ProtocolViolationError) this.#failure = error;
      throw error;
    }
    return out;
  }

  #append(part: Buffer): void {
    if (part.length === 0) return;
    this.#partialBytes += part.length;
    if (this.#pendingBytes + this.#partialBytes > this.#max) {
      throw new ProtocolViolationError(`Reply exceeds ${this.#max} bytes.`);
    }
    // Copy: the caller may reuse its buffer after push() returns.
    this.#partial.push(Buffer.from(part));
  }

  #line(out: FtpReply[]): void {
    const raw = Buffer.concat(this.#partial, this.#partialBytes);
    const size = this.#partialBytes;
    this.#partial = [];
    this.#partialBytes = 0;
    let end = raw.length - 1; // drop the LF
    if (end > 0 && raw[end - 1] === CR) end--;
    const line = raw.toString(this.#encoding, 0, end);

    const pending = this.#pending;
    if (pending === undefined) {
      // Some servers send a stray blank line between replies; it carries nothing.
      if (line === '') return;
      const match = START.exec(line);
      if (match === null) {
        throw new ProtocolViolationError(`Expected a reply, got ${JSON.stringify(line.slice(0, 80))}.`);
      }
      const code = Number(match[1]);
      const text = line.slice(4);
      if (match[2] === '-') {
        this.#pending = { code, lines: [text] };
        this.#pendingBytes = size;
      } else {
        out.push(makeReply(code, [text]));
      }
      return;
    }

    const prefix = String(pending.code);
    if (line === prefix || line.startsWith(`${prefix} `)) {
      pending.lines.push(line.slice(4));
      out.push(makeReply(pending.code, pending.lines));
      this.#pending = undefined;
      this.#pendingBytes = 0;
      return;
    }
    // Some servers repeat "123-" on every line; the prefix is framing, not text.
    pending.lines.push(line.startsWith(`${prefix}-`) ? line.slice(4) : line);
    this.#pendingBytes += size;
  }
}
