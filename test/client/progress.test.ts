import { expect } from 'chai';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TransferProgress } from '../../src/client/options.js';
import { ProgressMeter, sizeFromPreliminary } from '../../src/client/progress.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { collectInto } from './fake-server.js';

/** The meter's reporting interval while data comes. */
const INTERVAL_MS = 100;

describe('client/progress', () => {
  describe('ProgressMeter', () => {
    it('reports the first bytes at once, then not again within the interval', () => {
      const calls: TransferProgress[] = [];
      // At 0, where a meter that took "never reported" for time 0 would wait out an interval first.
      const clock = new ManualClock(0);
      const meter = new ProgressMeter((p) => calls.push(p), 0, 1000, clock);
      meter.add(10);
      expect(calls).to.have.length(1);
      expect(calls[0]).to.include({ bytes: 10, total: 1000, offset: 0, done: false });
      for (let i = 0; i < 500; i++) meter.add(1);
      clock.advance(INTERVAL_MS - 1);
      meter.add(1);
      expect(calls).to.have.length(1);
    });

    it('reports again once the interval has passed, with the bytes so far', () => {
      const calls: TransferProgress[] = [];
      const clock = new ManualClock(5000);
      const meter = new ProgressMeter((p) => calls.push(p), 0, undefined, clock);
      meter.add(5);
      meter.add(5);
      clock.advance(INTERVAL_MS);
      meter.add(7);
      expect(calls.map((c) => c.bytes)).to.deep.equal([5, 17]);
      expect(calls.every((c) => !c.done)).to.equal(true);
    });

    it('reports a stalled transfer every 250 ms with its count and a falling rate, until finish()', () => {
      const calls: TransferProgress[] = [];
      const clock = new ManualClock();
      const meter = new ProgressMeter((p) => calls.push(p), 0, undefined, clock);
      clock.advance(100);
      meter.add(30);
      // Data reported 150 ms ago: the heartbeat has nothing to add yet.
      clock.advance(150);
      expect(calls).to.have.length(1);
      clock.advance(250);
      clock.advance(250);
      expect(calls.map((c) => [c.bytes, c.rate])).to.deep.equal([
        [30, 300],
        [30, 60],
        [30, 40],
      ]);
      meter.finish();
      clock.advance(1000);
      expect(calls).to.have.length(4);
      expect(calls[3]).to.include({ bytes: 30, rate: 40, done: true });
    });

    it('finish() reports once more with done and every byte counted', () => {
      const calls: TransferProgress[] = [];
      const meter = new ProgressMeter((p) => calls.push(p), 0, 30);
      meter.add(10);
      meter.add(20);
      meter.finish();
      expect(calls).to.have.length(2);
      expect(calls[1]).to.include({ bytes: 30, total: 30, done: true });
    });

    it('finish() alone reports done with zero bytes (an empty file)', () => {
      const calls: TransferProgress[] = [];
      new ProgressMeter((p) => calls.push(p), 0, 0).finish();
      expect(calls).to.have.length(1);
      expect(calls[0]).to.include({ bytes: 0, total: 0, done: true });
    });

    it('carries the resume offset, and leaves total out when unknown', () => {
      const calls: TransferProgress[] = [];
      const meter = new ProgressMeter((p) => calls.push(p), 4096);
      meter.add(1);
      meter.finish();
      for (const call of calls) {
        expect(call.offset).to.equal(4096);
        expect('total' in call).to.equal(false);
      }
    });

    it('takes a total learnt later (from the 150 reply)', () => {
      const calls: TransferProgress[] = [];
      const meter = new ProgressMeter((p) => calls.push(p), 0);
      meter.total = 99;
      meter.add(99);
      meter.finish();
      expect(calls.map((c) => c.total)).to.deep.equal([99, 99]);
    });

    it('computes a rate from the bytes and the time since the start', () => {
      const calls: TransferProgress[] = [];
      const clock = new ManualClock(1000);
      const meter = new ProgressMeter((p) => calls.push(p), 0, undefined, clock);
      clock.advance(2000);
      meter.add(1200);
      meter.finish();
      expect(calls.at(-1)).to.include({ bytes: 1200, rate: 600, done: true });
    });

    it('counter() passes every byte through unchanged and counts them', async () => {
      const calls: TransferProgress[] = [];
      const meter = new ProgressMeter((p) => calls.push(p), 0);
      const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, i));
      const sink = collectInto();
      await pipeline(Readable.from(chunks), meter.counter(), sink.stream);
      meter.finish();
      expect(sink.bytes().equals(Buffer.concat(chunks))).to.equal(true);
      expect(calls.at(-1)).to.include({ bytes: Buffer.concat(chunks).length, done: true });
    });
  });

  describe('sizeFromPreliminary', () => {
    it('reads the size from common 150 replies', () => {
      expect(sizeFromPreliminary('Opening BINARY mode data connection for f.bin (1234 bytes).')).to.equal(
        1234,
      );
      expect(sizeFromPreliminary('Opening ASCII mode data connection for a (1 byte)')).to.equal(1);
      expect(sizeFromPreliminary('Opening data connection (0 bytes)')).to.equal(0);
      expect(sizeFromPreliminary('Opening BINARY mode data connection (12 BYTES)')).to.equal(12);
      expect(
        sizeFromPreliminary('Opening BINARY mode data connection for big (10737418240 bytes).'),
      ).to.equal(10_737_418_240);
    });

    it('gives undefined when the reply does not say', () => {
      expect(sizeFromPreliminary('Here comes the file.')).to.equal(undefined);
      expect(sizeFromPreliminary('Opening data connection (lots of bytes)')).to.equal(undefined);
      expect(sizeFromPreliminary('Opening data connection (-5 bytes)')).to.equal(undefined);
      expect(sizeFromPreliminary('')).to.equal(undefined);
    });

    // The file name comes before the size in the reply ("... for <name> (<size> bytes)").
    it('is not fooled by a file name that contains "(N bytes)"', () => {
      expect(
        sizeFromPreliminary('Opening BINARY mode data connection for a (5 bytes).bin (1234 bytes).'),
      ).to.equal(1234);
    });
  });
});
