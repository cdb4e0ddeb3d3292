import { expect } from 'chai';
import { metric, type Outcome } from '../../bench/report.js';
import { combineRounds, roundOrder } from '../../bench/rounds.js';

function ok(down: number, up: number, notes: readonly string[] = ['a note']): Outcome {
  return {
    kind: 'ok',
    metrics: [
      metric('down', 'download', down, 'files/s', 0, 'higher'),
      metric('up', 'upload', up, 'files/s', 0, 'higher'),
    ],
    notes,
  };
}

describe('bench/rounds', () => {
  it('reports the median of each figure and every round in a note', () => {
    const combined = combineRounds([ok(1900, 800), ok(2100, 700), ok(1800, 900)]);
    expect(combined.kind).to.equal('ok');
    if (combined.kind !== 'ok') return;
    expect(combined.metrics.map((m) => m.value)).to.deep.equal([1900, 800]);
    expect(combined.notes).to.deep.equal([
      'a note',
      'median of 3 rounds; per round: download 1900 / 2100 / 1800 files/s; upload 800 / 700 / 900 files/s',
    ]);
  });

  it("keeps every round's notes, naming the rounds of a note that not all of them gave", () => {
    const combined = combineRounds([
      ok(1, 1, ['same', 'a stall']),
      ok(2, 2, ['same']),
      ok(3, 3, ['same', 'a stall', 'two stalls']),
    ]);
    expect(combined.kind === 'ok' && combined.notes.slice(0, -1)).to.deep.equal([
      'same',
      'a stall (rounds 1, 3)',
      'two stalls (round 3)',
    ]);
  });

  it('passes a single round through unchanged', () => {
    const only = ok(1, 2);
    expect(combineRounds([only])).to.equal(only);
  });

  it('lets a failed or skipped round stand for all', () => {
    const failed: Outcome = { kind: 'failed', error: 'boom' };
    expect(combineRounds([ok(1, 2), failed, ok(3, 4)])).to.equal(failed);
    expect(combineRounds([])).to.deep.equal({ kind: 'skipped', reason: 'not run' });
  });

  it('alternates the order of the servers', () => {
    expect(roundOrder(['a', 'b', 'c'], 0)).to.deep.equal(['a', 'b', 'c']);
    expect(roundOrder(['a', 'b', 'c'], 1)).to.deep.equal(['c', 'b', 'a']);
    expect(roundOrder(['a', 'b', 'c'], 2)).to.deep.equal(['a', 'b', 'c']);
  });
});
