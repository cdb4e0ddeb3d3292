import type { TransferProgress, TransferResult } from '../options.js';
import { printable } from './terminal-text.js';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** "512 B", "1.5 KiB", "12.3 MiB", "250 GiB": binary units, three significant digits or so. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '? B';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  for (let i = 0; i < UNITS.length; i++) {
    value /= 1024;
    const text = value < 100 ? value.toFixed(1) : value.toFixed(0);
    // 1023.97 KiB would print as "1024 KiB"; the next unit reads better.
    if (Number(text) < 1024 || i === UNITS.length - 1) return `${text} ${UNITS[i] ?? ''}`;
  }
  return `${bytes} B`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Time left as "0:07", "12:03" or "1:02:03"; "--:--" when it cannot be known. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const total = Math.ceil(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Elapsed time for a summary line: "0.25", "12.3", "125" (seconds). */
export function formatSeconds(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 10) return seconds.toFixed(2);
  if (seconds < 100) return seconds.toFixed(1);
  return seconds.toFixed(0);
}

/** `name: N bytes in T s (R/s)`: the line printed once a transfer completes. */
export function formatDoneLine(name: string, bytes: number, elapsedMs: number): string {
  // A transfer faster than the clock's resolution still gets a finite rate.
  const rate = bytes / (Math.max(elapsedMs, 1) / 1000);
  return `${name}: ${bytes} bytes in ${formatSeconds(elapsedMs)} s (${formatRate(rate)})`;
}

function shorten(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, Math.max(width, 0)).join('');
  return `${chars.slice(0, width - 1).join('')}…`;
}

const MIN_BAR = 5;
const MIN_NAME = 8;

/**
 * One progress line for a terminal `columns` wide (one column is left free so that the line never
 * wraps): name, a bar and the percentage when the total is known, bytes so far, rate, time left.
 * A resumed transfer counts the bytes already there, so the bar starts part-filled.
 */
export function formatProgressLine(name: string, progress: TransferProgress, columns: number): string {
  const width = Math.max(columns - 1, 20);
  const done = progress.offset + progress.bytes;
  const rate = formatRate(progress.rate);
  const { total } = progress;
  if (total === undefined || total <= 0) {
    const stats = `  ${formatBytes(done)}  ${rate}`;
    return shorten(name, Math.max(width - stats.length, MIN_NAME)) + stats;
  }
  const fraction = Math.min(Math.max(done / total, 0), 1);
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const eta = progress.rate > 0 ? formatEta((total - done) / progress.rate) : formatEta(Number.NaN);
  const stats = `  ${percent}  ${formatBytes(done)} / ${formatBytes(total)}  ${rate}  ETA ${eta}`;
  const room = width - stats.length;
  const nameWidth = Math.min(Array.from(name).length, Math.max(MIN_NAME, Math.floor(room * 0.4)));
  const barWidth = room - nameWidth - 3;
  const shownName = shorten(name, nameWidth);
  if (barWidth < MIN_BAR) return shorten(name, Math.max(room, MIN_NAME)) + stats;
  const filled = Math.round(fraction * barWidth);
  const bar = '#'.repeat(filled) + '-'.repeat(barWidth - filled);
  return `${shownName.padEnd(nameWidth)} [${bar}]${stats}`;
}

/** Where progress goes: stderr, in the CLI. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** tty: a bar redrawn in place; lines: one line per finished transfer; quiet: nothing. */
export type ProgressStyle = 'tty' | 'lines' | 'quiet';

export function progressStyle(output: ProgressOutput, quiet: boolean): ProgressStyle {
  if (quiet) return 'quiet';
  return output.isTTY === true ? 'tty' : 'lines';
}

const CLEAR_LINE = '\r\x1b[K';

/** Shows one transfer at a time: call `start`, pass `update` as onProgress, then `finish` or `fail`. */
export class ProgressReporter {
  private name = '';
  private startedAt = 0;
  private drawn = false;

  constructor(
    private readonly output: ProgressOutput,
    private readonly style: ProgressStyle,
    private readonly now: () => number = Date.now,
  ) {}

  start(name: string): void {
    // Names come from server listings too (mget): shown as text, never as terminal controls.
    this.name = printable(name);
    this.startedAt = this.now();
    this.drawn = false;
  }

  /** The TransferOptions.onProgress callback. */
  readonly update = (progress: TransferProgress): void => {
    if (this.style !== 'tty' || progress.done) return;
    this.output.write(CLEAR_LINE + formatProgressLine(this.name, progress, this.output.columns ?? 80));
    this.drawn = true;
  };

  /** Replaces the bar with the summary line (or prints it, when not a terminal). */
  finish(bytes: number): void {
    if (this.style === 'quiet') return;
    const line = formatDoneLine(this.name, bytes, this.now() - this.startedAt);
    this.output.write(`${this.drawn ? CLEAR_LINE : ''}${line}\n`);
    this.drawn = false;
  }

  /**
   * One transfer from start to finish (or failure). `run` gets `update` for its onProgress when
   * a bar is drawn, and nothing otherwise: progress costs a transfer something (a SIZE first).
   */
  async track(
    name: string,
    run: (onProgress: ((progress: TransferProgress) => void) | undefined) => Promise<TransferResult>,
  ): Promise<TransferResult> {
    this.start(name);
    try {
      const result = await run(this.style === 'tty' ? this.update : undefined);
      this.finish(result.bytes);
      return result;
    } catch (error) {
      this.fail();
      throw error;
    }
  }

  /** Ends a bar left on screen by a transfer that failed, so the error starts on its own line. */
  fail(): void {
    if (this.drawn) this.output.write('\n');
    this.drawn = false;
  }
}
