// Property-based tests of the codec (fast-check): whatever bytes or text a peer sends, the
// decoders and parsers throw nothing but their typed errors, hold bounded memory, and what can be
// encoded decodes back to itself.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  CommandDecoder,
  decodeEprt,
  decodeHostPort,
  encodeEprt,
  encodeHostPort,
  formatEpsvReply,
  formatReply,
  formatMlsxLine,
  formatUnixLine,
  FtpError,
  parseEpsvReply,
  parseListing,
  parseMlsxLine,
  parsePasvReply,
  parseUnixLine,
  ProtocolViolationError,
  ReplyDecoder,
  type FileEntry,
} from '../../src/protocol/index.js';

const RUNS = { numRuns: 300 };

/** Bytes split into chunks at arbitrary places, as TCP delivers them. */
const chunked = fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 30 });

/** Only the errors a function documents; anything else fails the property. */
function onlyTyped(run: () => unknown, ...allowed: (abstract new (...args: never[]) => Error)[]): void {
  try {
    run();
  } catch (error) {
    if (!allowed.some((type) => error instanceof type)) throw error;
  }
}

describe('protocol properties (fast-check)', () => {
  it('the command decoder takes any bytes, never holds a line over its limit, and frames like one chunk', () => {
    fc.assert(
      fc.property(chunked, (chunks) => {
        const max = 64;
        const decoder = new CommandDecoder({ maxLineBytes: max });
        const lines = chunks.flatMap((chunk) => decoder.push(Buffer.from(chunk)));
        for (const line of lines) {
          if (line.kind === 'line') expect(Buffer.byteLength(line.line)).to.be.below(max * 3);
        }
        const whole = new CommandDecoder({ maxLineBytes: max }).push(
          Buffer.concat(chunks.map((c) => Buffer.from(c))),
        );
        expect(lines).to.deep.equal(whole);
      }),
      RUNS,
    );
  });

  it('the reply decoder takes any bytes, fails only with ProtocolViolationError, and stays failed', () => {
    fc.assert(
      fc.property(chunked, (chunks) => {
        const decoder = new ReplyDecoder({ maxReplyBytes: 512 });
        let failed: unknown;
        for (const chunk of chunks) {
          try {
            decoder.push(Buffer.from(chunk));
          } catch (error) {
            expect(error).to.be.instanceOf(ProtocolViolationError);
            failed ??= error;
            expect(() => decoder.push(Buffer.from('200 ok\r\n'))).to.throw(ProtocolViolationError);
          }
        }
      }),
      RUNS,
    );
  });

  it('a reply formatted from any text decodes back to its code and one line per line', () => {
    const line = fc.string({ maxLength: 40 });
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.array(line, { minLength: 1, maxLength: 5 }),
        (code, lines) => {
          const replies = new ReplyDecoder().push(Buffer.from(formatReply(code, lines)));
          expect(replies).to.have.length(1);
          expect(replies[0]?.code).to.equal(code);
          expect(replies[0]?.lines).to.have.length(lines.length);
        },
      ),
      RUNS,
    );
  });

  it('PORT/PASV and EPRT/EPSV encodings decode back to the same address and port', () => {
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(
      fc.property(fc.ipV4(), port, (host, p) => {
        expect(decodeHostPort(encodeHostPort({ host, port: p }))).to.deep.equal({ host, port: p });
        expect(parsePasvReply(`Entering Passive Mode (${encodeHostPort({ host, port: p })}).`)).to.deep.equal(
          {
            host,
            port: p,
          },
        );
        expect(decodeEprt(encodeEprt({ host, port: p }))).to.include({ host, port: p, family: 4 });
        expect(parseEpsvReply(formatEpsvReply(p))).to.equal(p);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.ipV6(), port, (host, p) => {
        const back = decodeEprt(encodeEprt({ host, port: p }));
        expect(back.port).to.equal(p);
        expect(back.family).to.equal(6);
      }),
      RUNS,
    );
  });

  it('address decoders take any text and throw only FtpError or ProtocolViolationError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        onlyTyped(() => decodeHostPort(text), FtpError);
        onlyTyped(() => decodeEprt(text), FtpError);
        onlyTyped(() => parsePasvReply(text), ProtocolViolationError);
        onlyTyped(() => parseEpsvReply(text), ProtocolViolationError);
      }),
      RUNS,
    );
  });

  it('listing parsers take any text and never throw; no entry has a name with "/" or NUL', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        for (const entry of parseListing(text)) {
          expect(entry.name).not.to.match(/[/\0]/);
          expect(entry.name).not.to.be.oneOf(['', '.', '..']);
        }
        for (const line of text.split('\n')) {
          parseUnixLine(line);
          onlyTyped(() => parseMlsxLine(line), ProtocolViolationError);
        }
      }),
      RUNS,
    );
  });

  it('an entry formatted as an ls line or MLSx facts parses back to its name, type and size', () => {
    const name = fc
      .string({ minLength: 1, maxLength: 30 })
      .filter(
        (n) => !/[\r\n\0/]/.test(n) && n.trim() === n && n !== '.' && n !== '..' && !n.includes(' -> '),
      );
    const entry = fc.record({
      name,
      type: fc.constantFrom('file', 'dir'),
      size: fc.integer({ min: 0, max: 2 ** 40 }),
      mode: fc.integer({ min: 0, max: 0o7777 }),
    });
    const now = new Date('2026-12-06T12:00:00Z');
    fc.assert(
      fc.property(entry, (e) => {
        const value: FileEntry = {
          ...e,
          type: e.type,
          modified: new Date('2026-11-01T10:20:00Z'),
        };
        const unix = parseUnixLine(formatUnixLine(value, now), now);
        expect(unix).to.include({ name: value.name, type: value.type, mode: value.mode });
        if (value.type === 'file') expect(unix?.size).to.equal(value.size);
        const facts = new Set(['type', 'size', 'modify', 'unix.mode']);
        const mlsx = parseMlsxLine(formatMlsxLine(value, { facts }));
        expect(mlsx).to.include({ name: value.name, type: value.type, mode: value.mode });
      }),
      RUNS,
    );
  });
});
