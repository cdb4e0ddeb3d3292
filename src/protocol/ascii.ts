import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const CR_BUFFER = Buffer.from([CR]);

/**
 * TYPE A, local -> network: a LF not already preceded by CR becomes CRLF. Existing CRLF pairs and
 * lone CRs pass unchanged. Whether a LF is preceded by CR is remembered across chunks, so a CRLF
 * split between two chunks is not doubled.
 */
export function createAsciiEncoder(): Transform {
  let lastWasCR = false;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      if (chunk.length === 0) {
        callback();
        return;
      }
      const parts: Buffer[] = [];
      let start = 0;
      for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
        const afterCR = lf === 0 ? lastWasCR : chunk[lf - 1] === CR;
        if (afterCR) continue;
        parts.push(chunk.subarray(start, lf), CR_BUFFER);
        start = lf;
      }
      lastWasCR = chunk[chunk.length - 1] === CR;
      if (parts.length === 0) {
        callback(null, chunk);
        return;
      }
      parts.push(chunk.subarray(start));
      callback(null, Buffer.concat(parts));
    },
  });
}

/**
 * TYPE A, network -> local: CRLF becomes LF; a lone CR is kept. A CR ending a chunk is held until
 * the next byte shows whether it starts a CRLF pair; at the end of the stream it is emitted.
 */
export function createAsciiDecoder(): Transform {
  let pendingCR = false;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      if (chunk.length === 0) {
        callback();
        return;
      }
      const parts: Buffer[] = [];
      // A held CR is dropped when this chunk starts with its LF, and is data otherwise.
      if (pendingCR && chunk[0] !== LF) parts.push(CR_BUFFER);
      pendingCR = false;
      let start = 0;
      for (let cr = chunk.indexOf(CR); cr !== -1; cr = chunk.indexOf(CR, cr + 1)) {
        if (cr === chunk.length - 1) {
          parts.push(chunk.subarray(start, cr));
          start = chunk.length;
          pendingCR = true;
        } else if (chunk[cr + 1] === LF) {
          parts.push(chunk.subarray(start, cr));
          start = cr + 1;
        }
      }
      if (parts.length === 0) {
        callback(null, chunk);
        return;
      }
      if (start < chunk.length) parts.push(chunk.subarray(start));
      callback(null, Buffer.concat(parts));
    },
    flush(callback: TransformCallback): void {
      callback(null, pendingCR ? Buffer.from([CR]) : undefined);
    },
  });
}
