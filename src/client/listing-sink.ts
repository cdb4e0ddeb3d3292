import type { Readable } from 'node:stream';
import { ProtocolViolationError } from '../protocol/index.js';

/**
 * Reads a whole directory listing as text in the control connection's encoding, refusing one larger than `maxBytes`: a listing
 * is held in memory to be parsed, so a hostile or runaway server must not be able to fill it.
 */
export async function collectListing(
  source: Readable,
  maxBytes: number,
  encoding: BufferEncoding = 'utf8',
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > maxBytes) {
      source.destroy();
      throw new ProtocolViolationError(`Listing larger than ${maxBytes} bytes; refused.`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size).toString(encoding);
}
