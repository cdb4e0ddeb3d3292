import { expect } from 'chai';
import { formatTimeVal, parseTimeVal } from '../../src/protocol/time-val.js';

describe('protocol/time-val', () => {
  it('formats UTC as YYYYMMDDHHMMSS', () => {
    expect(formatTimeVal(new Date('2020-01-02T03:04:05.678Z'))).to.equal('20200102030405');
  });

  it('parses with and without fractions of a second', () => {
    expect(parseTimeVal('20200102030405')?.toISOString()).to.equal('2020-01-02T03:04:05.000Z');
    expect(parseTimeVal('20200102030405.5')?.toISOString()).to.equal('2020-01-02T03:04:05.500Z');
    expect(parseTimeVal('20200102030405.123456')?.toISOString()).to.equal('2020-01-02T03:04:05.123Z');
  });

  it('refuses impossible dates and other shapes', () => {
    for (const bad of [
      '20200231000000',
      '20201301000000',
      '20200101240000',
      '20200101006000',
      '2020010100000',
      'x0200101000000',
      '20200101000000.',
      '',
    ]) {
      expect(parseTimeVal(bad), bad).to.equal(undefined);
    }
  });
});
