import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const DEFAULT_STOP_GRACE_MS = 2_000;
// After the main process is gone, a grandchild that escaped the group could hold the pipes open;
// this bounds how long we wait for them to close before cutting them.
const PIPE_DRAIN_MS = 1_000;

export interface RunOptions {
  input?: string | Buffer;
  /** The child (and its process group) gets SIGKILL after this long. Default 30 s. */
  timeoutMs?: number;
  /** Merged over process.env; set a key to undefined to remove it. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Per stream; output past this is dropped and the text says so. Default 4 MiB. */
  maxOutputBytes?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the harness killed the process because it ran past timeoutMs. */
  timedOut: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Every child runs in its own process group (detached), so killing the group also takes the
// helpers it forked (vsftpd sessions, lftp's children). This set lets an exiting test run take
// them all down even when a test forgot its `after` hook.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killAllChildren);
  }
}

/** SIGKILLs every child this module started that is still running (synchronous, exit-safe). */
export function killAllChildren(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
}

/** How many children started here are still running; a leak check can assert it is 0. */
export function liveChildCount(): number {
  return live.size;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone (ESRCH); the direct child may still be a zombie we have not reaped.
    child.kill(signal);
  }
}

function spawnDetached(
  cmd: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin: 'pipe' | 'ignore' },
): ChildProcess {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: [options.stdin, 'pipe', 'pipe'],
    detached: true,
    shell: false,
    windowsHide: true,
  });
  // A child that exits without reading its stdin makes our write fail with EPIPE; its exit status
  // is the interesting result, not that error.
  child.stdin?.on('error', () => undefined);
  return child;
}

/**
 * Resolves once the OS process exists (rejects with e.g. ENOENT otherwise). The error listener
 * stays: a ChildProcess 'error' without a listener would crash the test run.
 */
async function spawned(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.on('error', reject);
  });
  track(child);
}

function event(child: ChildProcess, name: 'exit' | 'close'): Promise<void> {
  return new Promise<void>((resolve) => {
    child.once(name, () => {
      resolve();
    });
  });
}

class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private dropped = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.bytes;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.bytes += kept.length;
    this.dropped += chunk.length - kept.length;
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `${text}\n[harness] ${this.dropped} more bytes of output dropped` : text;
  }
}

async function closeOrCut(child: ChildProcess, closed: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve();
    }, PIPE_DRAIN_MS);
  });
  try {
    await Promise.race([closed, cut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a command without a shell and collects its output. The process group is SIGKILLed at the
 * timeout (reported in `timedOut` and at the end of stderr) and swept when the command exits, so
 * nothing it started outlives the call. Rejects only when the command cannot be started.
 */
export async function run(
  cmd: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const child = spawnDetached(cmd, args, {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: 'pipe',
  });
  const stdout = new OutputBuffer(cap);
  const stderr = new OutputBuffer(cap);
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
  });
  // Registered before awaiting 'spawn' so that an early exit cannot be missed.
  const closed = event(child, 'close');
  const exited = event(child, 'exit');
  await spawned(child);

  if (options.input === undefined) child.stdin?.end();
  else child.stdin?.end(options.input);

  // An object, not a let: the compiler cannot see the timer callback assign it.
  const state = { timedOut: false };
  const timer = setTimeout(() => {
    state.timedOut = true;
    killGroup(child, 'SIGKILL');
  }, timeoutMs);
  try {
    await exited;
    killGroup(child, 'SIGKILL');
    await closeOrCut(child, closed);
  } finally {
    clearTimeout(timer);
  }
  const note = state.timedOut
    ? `\n[harness] ${cmd} killed with SIGKILL after the ${timeoutMs} ms timeout`
    : '';
  return {
    code: child.exitCode,
    signal: child.signalCode,
    stdout: stdout.text(),
    stderr: stderr.text() + note,
    timedOut: state.timedOut,
  };
}

export type OutputStream = 'stdout' | 'stderr' | 'any';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin once, which then stays open (see ProcessHandle.stop). */
  input?: string;
  maxOutputBytes?: number;
}

export interface WaitForLineOptions {
  timeoutMs?: number;
  stream?: OutputStream;
  /** Only lines from this mark() on count, e.g. what one client session made the server log. */
  since?: number;
}

export interface ProcessHandle {
  readonly pid: number;
  readonly command: string;
  /** Resolves when the main process exits; never rejects. */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  stdout(): string;
  stderr(): string;
  /** A position in the output, for waitForLine({ since }) and linesSince. */
  mark(): number;
  /** The complete lines printed since the mark (oldest lines may have been dropped). */
  linesSince(mark: number, stream?: OutputStream): string[];
  /**
   * Resolves with the match for the first output line (already printed or still to come) matching
   * `pattern`; rejects when the process exits first or after timeoutMs (default 10 s).
   */
  waitForLine(pattern: RegExp, options?: WaitForLineOptions): Promise<RegExpExecArray>;
  /** SIGTERM to the group, SIGKILL after graceMs, then sweeps the group; safe to call twice. */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Writes to the process's stdin, which stays open. */
  write(text: string): void;
}

interface LineWaiter {
  readonly pattern: RegExp;
  readonly stream: OutputStream;
  readonly since: number;
  readonly resolve: (match: RegExpExecArray) => void;
  readonly reject: (error: Error) => void;
}

interface Line {
  readonly seq: number;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

class LineLog {
  readonly lines: Line[] = [];
  next = 0;
  private readonly decoders = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  private readonly partial = { stdout: '', stderr: '' };
  readonly waiters = new Set<LineWaiter>();

  constructor(private readonly maxLines: number) {}

  push(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.partial[stream] + this.decoders[stream].write(chunk);
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.add(stream, line.replace(/\r$/, ''));
  }

  flush(stream: 'stdout' | 'stderr'): void {
    const rest = this.partial[stream] + this.decoders[stream].end();
    this.partial[stream] = '';
    if (rest !== '') this.add(stream, rest);
  }

  find(pattern: RegExp, stream: OutputStream, since: number): RegExpExecArray | undefined {
    for (const line of this.lines) {
      if (line.seq < since) continue;
      const match = matchLine(pattern, stream, line.stream, line.text);
      if (match) return match;
    }
    return undefined;
  }

  text(stream: 'stdout' | 'stderr'): string {
    const lines = this.lines.filter((line) => line.stream === stream).map((line) => line.text);
    return lines.join('\n') + (this.partial[stream] === '' ? '' : `\n${this.partial[stream]}`);
  }

  private add(stream: 'stdout' | 'stderr', text: string): void {
    // The oldest lines go first: a chatty server must not grow the test's memory without bound.
    if (this.lines.length >= this.maxLines) this.lines.shift();
    const seq = this.next++;
    this.lines.push({ seq, stream, text });
    for (const waiter of this.waiters) {
      if (seq < waiter.since) continue;
      const match = matchLine(waiter.pattern, waiter.stream, stream, text);
      if (match) waiter.resolve(match);
    }
  }
}

function matchLine(
  pattern: RegExp,
  wanted: OutputStream,
  stream: 'stdout' | 'stderr',
  text: string,
): RegExpExecArray | undefined {
  if (wanted !== 'any' && wanted !== stream) return undefined;
  pattern.lastIndex = 0;
  return pattern.exec(text) ?? undefined;
}

function tail(text: string, max = 2000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/**
 * Starts a long-running process (a server) in its own process group, stdin kept open as a pipe so
 * that a child which watches for EOF dies with the test run even after a SIGKILL of node.
 */
export async function startProcess(
  cmd: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<ProcessHandle> {
  const child = spawnDetached(cmd, args, {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: 'pipe',
  });
  // Lines rather than bytes: roughly maxOutputBytes of typical log output.
  const log = new LineLog(
    Math.max(100, Math.floor((options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES) / 100)),
  );
  child.stdout?.on('data', (chunk: Buffer) => {
    log.push('stdout', chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    log.push('stderr', chunk);
  });
  child.stdout?.on('end', () => {
    log.flush('stdout');
  });
  child.stderr?.on('end', () => {
    log.flush('stderr');
  });
  const closed = event(child, 'close');
  // Listeners must be in place before the first await, or an immediate exit would be missed.
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  await spawned(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${cmd} started without a pid`);
  if (options.input !== undefined) child.stdin?.write(options.input);

  let exitedNow = false;
  void exited.then(async (info) => {
    exitedNow = true;
    // Output may still be in the pipes when 'exit' fires; waiters deserve to see it first.
    await closeOrCut(child, closed);
    for (const waiter of log.waiters) {
      waiter.reject(
        new Error(
          `${cmd} exited (code ${String(info.code)}, signal ${String(info.signal)}) before printing a ` +
            `line matching ${String(waiter.pattern)}\nstdout: ${tail(log.text('stdout'))}\nstderr: ` +
            tail(log.text('stderr')),
        ),
      );
    }
  });

  let stopping: Promise<void> | undefined;
  const stop = async (graceMs: number): Promise<void> => {
    child.stdin?.end();
    if (!exitedNow) {
      killGroup(child, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'grace'>((resolve) => {
        timer = setTimeout(() => {
          resolve('grace');
        }, graceMs);
      });
      const outcome = await Promise.race([exited, grace]);
      clearTimeout(timer);
      if (outcome === 'grace') killGroup(child, 'SIGKILL');
      await exited;
    }
    // Session processes the server forked may outlive it; the group sweep takes those that stay in
    // its process group (vsftpd sessions call setsid() and end when their client disconnects).
    killGroup(child, 'SIGKILL');
    await closeOrCut(child, closed);
  };

  return {
    pid,
    command: cmd,
    exited,
    hasExited: () => exitedNow,
    write: (text: string) => {
      child.stdin?.write(text);
    },
    stdout: () => log.text('stdout'),
    stderr: () => log.text('stderr'),
    mark: () => log.next,
    linesSince: (mark: number, stream: OutputStream = 'any') =>
      log.lines
        .filter((line) => line.seq >= mark && (stream === 'any' || stream === line.stream))
        .map((line) => line.text),
    waitForLine(pattern: RegExp, waitOptions: WaitForLineOptions = {}): Promise<RegExpExecArray> {
      const stream = waitOptions.stream ?? 'any';
      const since = waitOptions.since ?? 0;
      const seen = log.find(pattern, stream, since);
      if (seen) return Promise.resolve(seen);
      if (exitedNow) {
        return Promise.reject(new Error(`${cmd} has exited; no line matched ${String(pattern)}`));
      }
      const timeoutMs = waitOptions.timeoutMs ?? 10_000;
      return new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(() => {
          log.waiters.delete(waiter);
          reject(
            new Error(
              `no line from ${cmd} matched ${String(pattern)} within ${timeoutMs} ms\nstdout: ` +
                `${tail(log.text('stdout'))}\nstderr: ${tail(log.text('stderr'))}`,
            ),
          );
        }, timeoutMs);
        const waiter: LineWaiter = {
          pattern,
          stream,
          since,
          resolve: (match) => {
            clearTimeout(timer);
            log.waiters.delete(waiter);
            resolve(match);
          },
          reject: (error) => {
            clearTimeout(timer);
            log.waiters.delete(waiter);
            reject(error);
          },
        };
        log.waiters.add(waiter);
      });
    },
    stop(stopOptions: { graceMs?: number } = {}): Promise<void> {
      stopping ??= stop(stopOptions.graceMs ?? DEFAULT_STOP_GRACE_MS);
      return stopping;
    },
  };
}
