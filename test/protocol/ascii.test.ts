import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createAsciiDecoder, createAsciiEncoder } from '../../src/protocol/ascii.js';
import { describeSplit, everySplit } from '../helpers/splits.js';

async function run(transform: Transform, chunks: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  transform.on('data', (chunk: Buffer) => out.push(chunk));
  for (const chunk of chunks) transform.write(chunk);
  transform.end();
  await finished(transform);
  return Buffer.concat(out);
}

const encode = (chunks: readonly Buffer[]): Promise<Buffer> => run(createAsciiEncoder(), chunks);
const decode = (chunks: readonly Buffer[]): Promise<Buffer> => run(createAsciiDecoder(), chunks);
const b = (text: string): Buffer => Buffer.from(text, 'latin1');

// Byte-at-a-time references, obviously right, to check the chunked versions against.
function referenceEncode(input: Buffer): Buffer {
  const out: number[] = [];
  input.forEach((byte, i) => {
    if (byte === 0x0a && (i === 0 || input[i - 1] !== 0x0d)) out.push(0x0d);
    out.push(byte);
  });
  return Buffer.from(out);
}

function referenceDecode(input: Buffer): Buffer {
  const out: number[] = [];
  input.forEach((byte, i) => {
    if (byte === 0x0d && input[i + 1] === 0x0a) return;
    out.push(byte);
  });
  return Buffer.from(out);
}

/** Cuts the input into pieces of random length (0-16 bytes, empty chunks included). */
function randomChunks(input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < input.length;) {
    const size = Math.floor(Math.random() * 17);
    chunks.push(input.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe('protocol/ascii', () => {
  describe('encoder (local -> network)', () => {
    it('turns LF into CRLF and leaves CRLF and lone CR alone', async () => {
      expect((await encode([b('a\nb\r\nc\rd\n\n')])).toString('latin1')).to.equal('a\r\nb\r\nc\rd\r\n\r\n');
      expect((await encode([b('\n')])).toString('latin1')).to.equal('\r\n');
      expect((await encode([b('\r\r\n')])).toString('latin1')).to.equal('\r\r\n');
      expect((await encode([b('no line ends')])).toString('latin1')).to.equal('no line ends');
      expect(await encode([])).to.have.length(0);
    });

    it('does not double a CRLF split across chunks', async () => {
      expect((await encode([b('a\r'), b('\nb')])).toString('latin1')).to.equal('a\r\nb');
      expect((await encode([b('a'), b('\n'), b('\n')])).toString('latin1')).to.equal('a\r\n\r\n');
      expect((await encode([b('a\r'), b(''), b('\n')])).toString('latin1')).to.equal('a\r\n');
    });

    it('gives the same result for every split', async () => {
      for (const text of ['line1\nline2\r\nline3\r\n\rx\n', '\n\r\n\r\r\n\n', 'café 日本\n🎉\r\n']) {
        const input = Buffer.from(text);
        const expected = referenceEncode(input);
        for (const chunks of everySplit(input)) {
          expect(await encode(chunks), describeSplit(chunks)).to.deep.equal(expected);
        }
      }
    });
  });

  describe('decoder (network -> local)', () => {
    it('turns CRLF into LF and keeps lone CRs', async () => {
      expect((await decode([b('a\r\nb\rc\n\r\r\n')])).toString('latin1')).to.equal('a\nb\rc\n\r\n');
      expect((await decode([b('plain')])).toString('latin1')).to.equal('plain');
    });

    it('holds a CR at the end of a chunk until the next byte is known', async () => {
      expect((await decode([b('a\r'), b('\nb')])).toString('latin1')).to.equal('a\nb');
      expect((await decode([b('a\r'), b('b')])).toString('latin1')).to.equal('a\rb');
      expect((await decode([b('a\r'), b(''), b('\n')])).toString('latin1')).to.equal('a\n');
      expect((await decode([b('\r'), b('\r'), b('\n')])).toString('latin1')).to.equal('\r\n');
    });

    it('emits a pending CR at the end of the stream', async () => {
      expect((await decode([b('a\r')])).toString('latin1')).to.equal('a\r');
      expect((await decode([b('\r')])).toString('latin1')).to.equal('\r');
    });

    it('gives the same result for every split', async () => {
      for (const text of ['line1\r\nline2\r\n\rx\r', '\r\r\n\n\r\n\r', 'café 日本\r\n🎉\r\n']) {
        const input = Buffer.from(text);
        const expected = referenceDecode(input);
        for (const chunks of everySplit(input)) {
          expect(await decode(chunks), describeSplit(chunks)).to.deep.equal(expected);
        }
      }
    });
  });

  it('matches the byte-at-a-time references on random binary data in random chunks', async () => {
    // Bias towards CR and LF so that pairs and boundaries occur often.
    const input = Buffer.from(
      randomBytes(20_000).map((byte) => (byte < 64 ? 0x0d : byte < 128 ? 0x0a : byte)),
    );
    expect(await encode(randomChunks(input))).to.deep.equal(referenceEncode(input));
    expect(await decode(randomChunks(input))).to.deep.equal(referenceDecode(input));
  });

  it('round-trips text without CR', async () => {
    const input = Buffer.from('one\ntwo\n\nthree 日本\n');
    expect(await decode([await encode([input])])).to.deep.equal(input);
  });
});
