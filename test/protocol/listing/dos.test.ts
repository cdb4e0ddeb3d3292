import { expect } from 'chai';
import { parseDosLine } from '../../../src/protocol/listing/dos.js';

const utc = (text: string): Date => new Date(`${text}Z`);

describe('protocol/listing/dos', () => {
  it('parses IIS directory and file lines', () => {
    expect(parseDosLine('03-14-24  09:26AM       <DIR>          name')).to.deep.equal({
      name: 'name',
      type: 'dir',
      size: 0,
      modified: utc('2024-03-14T09:26:00'),
      modifiedPrecision: 'minute',
    });
    expect(parseDosLine('03-14-24  09:26PM                 1234 file name.txt')).to.deep.equal({
      name: 'file name.txt',
      type: 'file',
      size: 1234,
      modified: utc('2024-03-14T21:26:00'),
      modifiedPrecision: 'minute',
    });
  });

  it('handles 12 AM/PM, 24-hour times, four-digit years and "/" separators', () => {
    expect(parseDosLine('12-31-1999  12:00AM     5 y2k')?.modified).to.deep.equal(utc('1999-12-31T00:00:00'));
    expect(parseDosLine('12-31-1999  12:30PM     5 noon')?.modified).to.deep.equal(
      utc('1999-12-31T12:30:00'),
    );
    expect(parseDosLine('03-14-2024  21:05       <DIR>          dir24')).to.include({
      type: 'dir',
      name: 'dir24',
    });
    expect(parseDosLine('03/14/2024  21:05  1,234,567 commas.bin')).to.include({ size: 1234567 });
    expect(parseDosLine('3-4-24 9:05am 7 short')?.modified).to.deep.equal(utc('2024-03-04T09:05:00'));
  });

  it('pivots two-digit years at 69', () => {
    expect(parseDosLine('01-02-69  10:00AM  1 a')?.modified?.getUTCFullYear()).to.equal(1969);
    expect(parseDosLine('01-02-68  10:00AM  1 a')?.modified?.getUTCFullYear()).to.equal(2068);
    expect(parseDosLine('01-02-00  10:00AM  1 a')?.modified?.getUTCFullYear()).to.equal(2000);
  });

  it('returns undefined for other lines and impossible dates', () => {
    for (const line of [
      '',
      'total 3',
      '-rw-r--r-- 1 u g 1 Mar 14 09:26 x',
      'type=file; x',
      '13-01-24  10:00AM  1 badmonth',
      '01-32-24  10:00AM  1 badday',
      '01-01-24  13:00PM  1 badhour',
      '01-01-24  00:00AM  1 zerohour',
      '01-01-24  24:00  1 hour24',
      '01-01-24  10:60  1 minute',
      '01-01-24  10:00AM  <FILE> x',
      '01-01-24  10:00AM  12',
    ]) {
      expect(parseDosLine(line), line).to.equal(undefined);
    }
  });
});
