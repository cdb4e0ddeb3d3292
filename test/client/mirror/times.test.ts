import { expect } from 'chai';
import { isLater, listedTime } from '../../../src/client/mirror/times.js';
import { parseListing } from '../../../src/protocol/index.js';

describe('mirror times', function () {
  const now = new Date(Date.UTC(2024, 5, 15, 12, 0, 0));

  it('knows an MLSD time to the second and a LIST time to the minute or the day', function () {
    const [mlsd, recent, old, none] = [
      ...parseListing('type=file;size=1;modify=20240301102030; a\r\n', now),
      ...parseListing('-rw-r--r--    1 ftp      ftp             1 Mar 01 10:20 b\r\n', now),
      ...parseListing('-rw-r--r--    1 ftp      ftp             1 Mar 01  2020 c\r\n', now),
      ...parseListing('type=file;size=1; d\r\n', now),
    ];
    expect(mlsd && listedTime(mlsd)).to.deep.equal({
      time: new Date('2024-03-01T10:20:30Z'),
      resolutionMs: 1000,
    });
    expect(recent && listedTime(recent)?.resolutionMs).to.equal(60_000);
    expect(old && listedTime(old)?.resolutionMs).to.equal(86_400_000);
    expect(none && listedTime(none)).to.equal(undefined);
  });

  it('compares at the coarser of the resolution and whole seconds', function () {
    const base = new Date('2024-03-01T10:20:30.000Z');
    const sameSecond = new Date('2024-03-01T10:20:30.999Z');
    const nextSecond = new Date('2024-03-01T10:20:31.000Z');
    expect(isLater(sameSecond, base, 1000)).to.equal(false);
    expect(isLater(nextSecond, base, 1000)).to.equal(true);
    expect(isLater(base, nextSecond, 1000)).to.equal(false);
    // A sub-second resolution still compares whole seconds: MFMT and MDTM carry no more.
    expect(isLater(sameSecond, base, 1)).to.equal(false);
    expect(isLater(new Date('2024-03-01T10:20:59Z'), base, 60_000)).to.equal(false);
    expect(isLater(new Date('2024-03-01T10:21:00Z'), base, 60_000)).to.equal(true);
    expect(isLater(new Date('2024-03-01T23:59:00Z'), base, 86_400_000)).to.equal(false);
  });
});
