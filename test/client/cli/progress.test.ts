import { expect } from 'chai';
import {
  formatBytes,
  formatDoneLine,
  formatEta,
  formatProgressLine,
  formatRate,
  formatSeconds,
  progressStyle,
  ProgressReporter,
  type ProgressStyle,
} from '../../../src/client/cli/progress.js';

describe('cli/progress: formatting', function () {
  it('formats sizes in binary units', function () {
    expect(formatBytes(0)).to.equal('0 B');
    expect(formatBytes(1023)).to.equal('1023 B');
    expect(formatBytes(1024)).to.equal('1.0 KiB');
    expect(formatBytes(1536)).to.equal('1.5 KiB');
    expect(formatBytes(1.5 * 1024 * 1024)).to.equal('1.5 MiB');
    expect(formatBytes(123.4 * 1024 * 1024)).to.equal('123 MiB');
    expect(formatBytes(3 * 1024 ** 3)).to.equal('3.0 GiB');
    expect(formatBytes(2 * 1024 ** 6)).to.equal('2048 PiB');
  });

  it('moves to the next unit rather than print 1024 of one', function () {
    expect(formatBytes(1024 * 1024 - 1)).to.equal('1.0 MiB');
  });

  it('marks sizes that are not numbers', function () {
    expect(formatBytes(Number.NaN)).to.equal('? B');
    expect(formatBytes(-1)).to.equal('? B');
  });

  it('formats rates', function () {
    expect(formatRate(2.5 * 1024 * 1024)).to.equal('2.5 MiB/s');
  });

  it('formats the time left', function () {
    expect(formatEta(0)).to.equal('0:00');
    expect(formatEta(6.2)).to.equal('0:07');
    expect(formatEta(723)).to.equal('12:03');
    expect(formatEta(3723)).to.equal('1:02:03');
    expect(formatEta(Number.POSITIVE_INFINITY)).to.equal('--:--');
    expect(formatEta(Number.NaN)).to.equal('--:--');
  });

  it('formats elapsed seconds with sensible precision', function () {
    expect(formatSeconds(250)).to.equal('0.25');
    expect(formatSeconds(12_345)).to.equal('12.3');
    expect(formatSeconds(125_000)).to.equal('125');
  });

  it('prints the summary line of a finished transfer', function () {
    expect(formatDoneLine('big.bin', 2 * 1024 * 1024, 500)).to.equal(
      'big.bin: 2097152 bytes in 0.50 s (4.0 MiB/s)',
    );
    expect(formatDoneLine('empty', 0, 0)).to.equal('empty: 0 bytes in 0.00 s (0 B/s)');
  });

  it('draws a bar with percent, sizes, rate and ETA within the width', function () {
    const line = formatProgressLine(
      'file.bin',
      { bytes: 512 * 1024, total: 1024 * 1024, offset: 0, rate: 256 * 1024, done: false },
      80,
    );
    expect(line).to.match(/^file\.bin \[#+-+\]   50%  512 KiB \/ 1\.0 MiB  256 KiB\/s  ETA 0:02$/);
    expect(line.length).to.equal(79);
  });

  it('counts a resume offset as done', function () {
    const line = formatProgressLine(
      'f',
      { bytes: 100, total: 1000, offset: 800, rate: 100, done: false },
      80,
    );
    expect(line).to.include(' 90%');
    expect(line).to.include('ETA 0:01');
  });

  it('shows bytes and rate only when the total is unknown', function () {
    const line = formatProgressLine('stdin', { bytes: 2048, offset: 0, rate: 1024, done: false }, 80);
    expect(line).to.equal('stdin  2.0 KiB  1.0 KiB/s');
  });

  it('shortens a long name and drops the bar on a narrow terminal', function () {
    const name = 'a-very-long-file-name-that-goes-on-and-on.tar.gz';
    const progress = { bytes: 10, total: 100, offset: 0, rate: 0, done: false };
    const wide = formatProgressLine(name, progress, 100);
    expect(wide.length).to.equal(99);
    expect(wide).to.include('…');
    const narrow = formatProgressLine(name, progress, 50);
    expect(narrow).to.not.include('[');
    expect(narrow).to.include('ETA --:--');
  });
});

describe('cli/progress: ProgressReporter', function () {
  function setup(style: ProgressStyle): { out: string[]; reporter: ProgressReporter; clock: { t: number } } {
    const out: string[] = [];
    const clock = { t: 1000 };
    const reporter = new ProgressReporter(
      { write: (text: string) => out.push(text), columns: 60 },
      style,
      () => clock.t,
    );
    return { out, reporter, clock };
  }
  const step = { bytes: 50, total: 100, offset: 0, rate: 50, done: false };

  it('redraws one line in place on a terminal and ends with the summary', function () {
    const { out, reporter, clock } = setup('tty');
    reporter.start('f.bin');
    reporter.update(step);
    reporter.update({ ...step, bytes: 75 });
    reporter.update({ ...step, bytes: 100, done: true });
    clock.t += 2000;
    reporter.finish(100);
    expect(out).to.have.lengthOf(3);
    expect(out[0]).to.match(/^\r\x1b\[Kf\.bin /);
    expect(out[1]).to.include(' 75%');
    expect(out[2]).to.equal('\r\x1b[Kf.bin: 100 bytes in 2.00 s (50 B/s)\n');
  });

  it('prints only the summary line when not a terminal', function () {
    const { out, reporter, clock } = setup('lines');
    reporter.start('f.bin');
    reporter.update(step);
    clock.t += 250;
    reporter.finish(100);
    expect(out).to.deep.equal(['f.bin: 100 bytes in 0.25 s (400 B/s)\n']);
  });

  it('prints nothing when quiet', function () {
    const { out, reporter } = setup('quiet');
    reporter.start('f.bin');
    reporter.update(step);
    reporter.finish(100);
    reporter.fail();
    expect(out).to.deep.equal([]);
  });

  it('ends a bar left on screen when the transfer fails', function () {
    const { out, reporter } = setup('tty');
    reporter.start('f.bin');
    reporter.fail();
    expect(out).to.deep.equal([]);
    reporter.update(step);
    reporter.fail();
    expect(out.at(-1)).to.equal('\n');
  });

  it('picks the style from the stream and --quiet', function () {
    expect(progressStyle({ write: () => true, isTTY: true }, false)).to.equal('tty');
    expect(progressStyle({ write: () => true }, false)).to.equal('lines');
    expect(progressStyle({ write: () => true, isTTY: true }, true)).to.equal('quiet');
  });
});
