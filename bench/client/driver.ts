import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { parseJob, STALL_SECONDS, type DriverJob, type DriverResult } from './job.js';

/** One logged-in session of the client under test; the harness around it does all the measuring. */
export interface DriverSession {
  /** `destination`: a local path, or a stream the client must end. */
  download(remote: string, destination: string | Writable): Promise<void>;
  upload(local: string, remote: string): Promise<void>;
  close(): Promise<void>;
}

export type OpenSession = (job: DriverJob) => Promise<DriverSession>;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Counts what it is given and keeps none of it: /dev/null without a system call per chunk. */
class CountingSink extends Writable {
  bytes = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    callback();
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    for (const { chunk } of chunks) this.bytes += chunk.length;
    callback();
  }
}

/**
 * The body of a driver process: reads the job from stdin, logs in, transfers every file in one
 * session and prints a DriverResult. Only the transfers are inside the clocks: process start-up,
 * module loading, login and QUIT are not the client's per-byte cost.
 */
export async function runDriver(open: OpenSession): Promise<void> {
  try {
    const job = parseJob(await readStdin());
    const loginStart = performance.now();
    const session = await open(job);
    let result: DriverResult;
    try {
      const loginSeconds = (performance.now() - loginStart) / 1000;
      let bytes = 0;
      let stalls = 0;
      let stalledMs = 0;
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      let fileStart = start;
      for (const file of job.files) {
        if (job.direction === 'upload') {
          await session.upload(file.local, file.remote);
        } else if (job.discard) {
          const sink = new CountingSink();
          await session.download(file.remote, sink);
          bytes += sink.bytes;
        } else {
          await session.download(file.remote, file.local);
        }
        const now = performance.now();
        // A large file takes longer than that by itself; stalls are a small-file measure.
        if (job.files.length > 1 && now - fileStart > STALL_SECONDS * 1000) {
          stalls++;
          stalledMs += now - fileStart;
        }
        fileStart = now;
      }
      const seconds = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpuStart);
      result = {
        seconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        userSeconds: cpu.user / 1e6,
        loginSeconds,
        bytes,
        stalls,
        stalledSeconds: stalledMs / 1000,
      };
    } finally {
      await session.close();
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
