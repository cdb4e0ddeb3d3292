// The PROXY header parser: the forms HAProxy's doc/proxy-protocol.txt defines, the malformed ones
// refused, and (fast-check) any bytes split anywhere give the same answer or a ProxyHeaderError.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  looksLikeProxyHeader,
  MAX_V1_BYTES,
  MAX_V2_BYTES,
  parseProxyHeader,
  ProxyHeaderError,
  type CompleteHeader,
  type ProxySource,
} from '../../../src/server/proxy/header.js';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header as a sender builds it, field by field (no parser code reused). */
function v2(options: {
  command?: number;
  version?: number;
  family?: number;
  addresses?: Buffer;
  tlvs?: Buffer;
}): Buffer {
  const body = Buffer.concat([options.addresses ?? Buffer.alloc(0), options.tlvs ?? Buffer.alloc(0)]);
  const fixed = Buffer.alloc(4);
  fixed[0] = ((options.version ?? 2) << 4) | (options.command ?? 1);
  fixed[1] = options.family ?? 0x11;
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIGNATURE, fixed, body]);
}

function tcp4(source: string, sourcePort: number, destination: string, destinationPort: number): Buffer {
  const bytes = Buffer.alloc(12);
  source.split('.').forEach((part, i) => (bytes[i] = Number(part)));
  destination.split('.').forEach((part, i) => (bytes[4 + i] = Number(part)));
  bytes.writeUInt16BE(sourcePort, 8);
  bytes.writeUInt16BE(destinationPort, 10);
  return bytes;
}

function tcp6(source: number[], sourcePort: number): Buffer {
  const bytes = Buffer.alloc(36);
  source.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  bytes.writeUInt16BE(1, 30);
  bytes.writeUInt16BE(sourcePort, 32);
  bytes.writeUInt16BE(21, 34);
  return bytes;
}

function complete(bytes: Buffer): CompleteHeader {
  const parsed = parseProxyHeader(bytes);
  if (parsed.kind !== 'header') throw new Error('expected a whole header');
  return parsed;
}

function source(bytes: Buffer): ProxySource | undefined {
  return complete(bytes).header.source;
}

describe('PROXY header parser', function () {
  describe('version 1', function () {
    it('reads TCP4 and TCP6 lines and says how long they were', function () {
      const line = Buffer.from('PROXY TCP4 192.0.2.7 198.51.100.1 56324 21\r\nUSER x\r\n');
      const parsed = complete(line);
      expect(parsed.header).to.deep.equal({ version: 1, source: { address: '192.0.2.7', port: 56324 } });
      expect(line.subarray(parsed.length).toString()).to.equal('USER x\r\n');
      expect(source(Buffer.from('PROXY TCP6 2001:DB8:0:0::1 ::1 65535 21\r\n'))).to.deep.equal({
        address: '2001:db8::1',
        port: 65535,
      });
      // IPv4-mapped, as every peer address in ftpkit is compared: plain IPv4.
      expect(source(Buffer.from('PROXY TCP6 ::ffff:192.0.2.7 ::1 1 21\r\n'))?.address).to.equal('192.0.2.7');
    });

    it('takes UNKNOWN, with or without addresses, as "no client address"', function () {
      expect(source(Buffer.from('PROXY UNKNOWN\r\n'))).to.equal(undefined);
      expect(source(Buffer.from('PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n'))).to.equal(
        undefined,
      );
    });

    it('waits for the rest of a line split anywhere', function () {
      const line = 'PROXY TCP4 192.0.2.7 198.51.100.1 56324 21\r\n';
      for (let cut = 0; cut < line.length; cut++) {
        expect(parseProxyHeader(Buffer.from(line.slice(0, cut))).kind, `cut at ${cut}`).to.equal(
          'incomplete',
        );
      }
    });

    for (const [why, line] of [
      ['a family it does not know', 'PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n'],
      ['an IPv6 address under TCP4', 'PROXY TCP4 ::1 ::1 1 2\r\n'],
      ['an IPv4 address under TCP6', 'PROXY TCP6 192.0.2.7 198.51.100.1 1 2\r\n'],
      ['a port past 65535', 'PROXY TCP4 192.0.2.7 198.51.100.1 65536 21\r\n'],
      ['a port with a sign', 'PROXY TCP4 192.0.2.7 198.51.100.1 +1 21\r\n'],
      ['a field missing', 'PROXY TCP4 192.0.2.7 198.51.100.1 1\r\n'],
      ['a field too many', 'PROXY TCP4 192.0.2.7 198.51.100.1 1 2 3\r\n'],
      ['two spaces', 'PROXY TCP4  192.0.2.7 198.51.100.1 1 2\r\n'],
      ['a host name', 'PROXY TCP4 example.com 198.51.100.1 1 2\r\n'],
      ['a bare LF', 'PROXY TCP4 192.0.2.7 198.51.100.1 1 2\n'],
      ['a lone CR inside', 'PROXY TCP4 192.0.2.7\r198.51.100.1 1 2\r\n'],
      ['lower case', 'proxy TCP4 192.0.2.7 198.51.100.1 1 2\r\n'],
      ['an FTP command', 'USER alice\r\n'],
    ] as const) {
      it(`refuses ${why}`, function () {
        expect(() => parseProxyHeader(Buffer.from(line))).to.throw(ProxyHeaderError);
      });
    }

    it(`refuses a line that reaches ${MAX_V1_BYTES} bytes without its CRLF, and no later`, function () {
      const long = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(MAX_V1_BYTES)}`);
      expect(parseProxyHeader(long.subarray(0, MAX_V1_BYTES - 1)).kind).to.equal('incomplete');
      expect(() => parseProxyHeader(long.subarray(0, MAX_V1_BYTES))).to.throw(ProxyHeaderError, /too long/);
      const longest = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(MAX_V1_BYTES - 16)}\r\n`);
      expect(longest.length).to.equal(MAX_V1_BYTES);
      expect(complete(longest).length).to.equal(MAX_V1_BYTES);
    });
  });

  describe('version 2', function () {
    it('reads TCP over IPv4 and IPv6, skipping TLVs', function () {
      const tlvs = Buffer.from([0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00]);
      const header = v2({ addresses: tcp4('192.0.2.7', 40000, '10.0.0.1', 21), tlvs });
      const parsed = complete(Buffer.concat([header, Buffer.from('USER x\r\n')]));
      expect(parsed.header).to.deep.equal({ version: 2, source: { address: '192.0.2.7', port: 40000 } });
      expect(parsed.length).to.equal(header.length);
      expect(
        source(v2({ family: 0x21, addresses: tcp6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 7], 1234) })),
      ).to.deep.equal({
        address: '2001:db8::7',
        port: 1234,
      });
      expect(
        source(v2({ family: 0x21, addresses: tcp6([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0207], 1) }))?.address,
      ).to.equal('192.0.2.7');
    });

    it('gives no client address for LOCAL (health checks) and for UNSPEC, UDP and UNIX families', function () {
      expect(source(v2({ command: 0, family: 0x00 }))).to.equal(undefined);
      expect(source(v2({ command: 0, addresses: tcp4('192.0.2.7', 1, '10.0.0.1', 21) }))).to.equal(undefined);
      expect(source(v2({ family: 0x00 }))).to.equal(undefined);
      expect(source(v2({ family: 0x12, addresses: tcp4('192.0.2.7', 1, '10.0.0.1', 21) }))).to.equal(
        undefined,
      );
      expect(source(v2({ family: 0x31, addresses: Buffer.alloc(216) }))).to.equal(undefined);
    });

    it('waits for the rest of a header split anywhere', function () {
      const header = v2({ addresses: tcp4('192.0.2.7', 40000, '10.0.0.1', 21), tlvs: Buffer.alloc(20) });
      for (let cut = 0; cut < header.length; cut++) {
        expect(parseProxyHeader(header.subarray(0, cut)).kind, `cut at ${cut}`).to.equal('incomplete');
      }
    });

    it('refuses other versions and commands, short addresses and over-long headers', function () {
      const addresses = tcp4('192.0.2.7', 1, '10.0.0.1', 21);
      expect(() => parseProxyHeader(v2({ version: 1, addresses }))).to.throw(ProxyHeaderError, /version/);
      expect(() => parseProxyHeader(v2({ command: 2, addresses }))).to.throw(ProxyHeaderError, /command/);
      expect(() => parseProxyHeader(v2({ addresses: addresses.subarray(0, 11) }))).to.throw(ProxyHeaderError);
      expect(() => parseProxyHeader(v2({ family: 0x21, addresses }))).to.throw(ProxyHeaderError);
      const tooLong = v2({ addresses, tlvs: Buffer.alloc(MAX_V2_BYTES) });
      // Refused from its fixed part, before the rest is waited for.
      expect(() => parseProxyHeader(tooLong.subarray(0, 16))).to.throw(ProxyHeaderError, /too long/);
      expect(complete(v2({ addresses, tlvs: Buffer.alloc(MAX_V2_BYTES - 16 - 12) })).length).to.equal(
        MAX_V2_BYTES,
      );
    });

    it('refuses a wrong signature at its first wrong byte', function () {
      expect(parseProxyHeader(SIGNATURE.subarray(0, 5)).kind).to.equal('incomplete');
      expect(() => parseProxyHeader(Buffer.from('\r\n\r\nX'))).to.throw(ProxyHeaderError);
    });
  });

  it('tells a header from the first bytes of an FTP client', function () {
    expect(looksLikeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'))).to.equal(true);
    expect(looksLikeProxyHeader(v2({ command: 0, family: 0 }))).to.equal(true);
    expect(looksLikeProxyHeader(Buffer.from('USER alice\r\n'))).to.equal(false);
    expect(looksLikeProxyHeader(Buffer.from('\r\n\r\n'))).to.equal(false);
  });

  describe('properties', function () {
    const RUNS = { numRuns: 300 };
    const anyHeader = fc.oneof(
      fc
        .tuple(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
        .map(([s, d, sp, dp]) => Buffer.from(`PROXY TCP4 ${s} ${d} ${sp} ${dp}\r\n`)),
      fc
        .tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 64 }))
        .map(([s, sp, tlvs]) => v2({ addresses: tcp4(s, sp, '10.0.0.1', 21), tlvs: Buffer.from(tlvs) })),
    );

    it('throws nothing but ProxyHeaderError, whatever the bytes, and never claims more than it has', function () {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
            fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from('PROXY '), b])),
            fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([SIGNATURE, b])),
          ),
          (bytes) => {
            try {
              const parsed = parseProxyHeader(bytes);
              if (parsed.kind === 'header') expect(parsed.length).to.be.at.most(bytes.length);
            } catch (err) {
              if (!(err instanceof ProxyHeaderError)) throw err;
            }
          },
        ),
        RUNS,
      );
    });

    it('reads a valid header the same way whatever follows it, and waits at every cut short of its end', function () {
      fc.assert(
        fc.property(anyHeader, fc.uint8Array({ maxLength: 40 }), (header, after) => {
          const whole = complete(header);
          expect(whole.length).to.equal(header.length);
          const followed = complete(Buffer.concat([header, Buffer.from(after)]));
          expect(followed).to.deep.equal(whole);
          for (let cut = 0; cut < header.length; cut++) {
            expect(parseProxyHeader(header.subarray(0, cut)).kind).to.equal('incomplete');
          }
        }),
        RUNS,
      );
    });
  });
});
