import type { FtpClient } from '../client.js';

/** One file to copy; `run` resolves with the bytes moved. */
export interface Job {
  readonly path: string;
  run(client: FtpClient, signal: AbortSignal): Promise<number>;
}

export type JobOutcome = { bytes: number } | { error: Error };

export interface PoolOptions {
  /** The caller's client: it transfers too, and its loss ends the whole run. */
  client: FtpClient;
  /** Transfers at once, the client included; extra connections come from client.fork(). */
  parallel: number;
  jobs: readonly Job[];
  signal?: AbortSignal | undefined;
  /** Called once per job that ran to an end (not for jobs cut short by an abort). */
  report: (job: Job, outcome: JobOutcome) => void;
}

/** A job whose connection broke under it is given another try once, then reported failed. */
const MAX_ATTEMPTS = 2;

/**
 * Runs the jobs on the client and up to parallel-1 forks, opened now (only as many as there are
 * jobs for) and closed before this resolves or rejects. A job's failure is reported and the others
 * go on. A job whose connection breaks or stalls under it goes back in the queue: a fork retires,
 * the client connects again (in the same directory) and carries on. It rejects, after every
 * connection has stopped, when the signal aborts (with its reason), when the client's connection
 * broke and cannot be opened again (with the first failure), or when `report` throws.
 */
export async function runJobs(options: PoolOptions): Promise<void> {
  const { client, signal } = options;
  signal?.throwIfAborted();
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  // A function, not the property: an abort can come while a transfer is awaited.
  const stopped = (): boolean => stop.signal.aborted;
  const queue = [...options.jobs];
  const attempts = new Map<Job, number>();
  const deliver = (job: Job, outcome: JobOutcome): void => {
    try {
      options.report(job, outcome);
    } catch (error) {
      stop.abort(error);
    }
  };

  const work = async (worker: FtpClient, own: boolean): Promise<void> => {
    for (let job = queue.shift(); job !== undefined && !stopped(); job = queue.shift()) {
      let outcome: JobOutcome;
      try {
        outcome = { bytes: await job.run(worker, stop.signal) };
      } catch (error) {
        // Cut short by the abort: the abort is what the caller hears about.
        if (stopped()) return;
        const failure = error instanceof Error ? error : new Error(String(error));
        if (!worker.isOpen) {
          const tries = (attempts.get(job) ?? 0) + 1;
          attempts.set(job, tries);
          if (tries < MAX_ATTEMPTS) queue.push(job);
          else deliver(job, { error: failure });
          // A fork retires; the client is everyone's last resort, so it connects again.
          if (!own) return;
          try {
            await client.reconnect();
            await client.cd(await home);
          } catch {
            stop.abort(failure);
            return;
          }
          continue;
        }
        outcome = { error: failure };
      }
      deliver(job, outcome);
    }
  };

  // Where a reconnected client goes back to: asked now, before a transfer can lose the connection.
  const home = client.pwd();
  home.catch(() => undefined);
  // Forks are asked for first: fork() queues a PWD on the client, which must not wait behind the
  // client's own first transfer. A fork that cannot open (a server's per-user limit) just means
  // fewer transfers at once, and one still opening when the client has run out of work is not
  // waited for: a server may never answer its login.
  const extra = Math.max(0, Math.min(options.parallel, queue.length) - 1);
  const opening = new AbortController();
  const forks = Array.from({ length: extra }, () =>
    client.fork({ signal: opening.signal }).catch(() => undefined),
  );
  const workers = forks.map(async (forking) => {
    const fork = await forking;
    if (fork !== undefined) await work(fork, false);
  });
  try {
    workers.push(
      work(client, true).finally(() => {
        opening.abort();
      }),
    );
    await Promise.all(workers);
    // Files handed back by forks that broke after the others had finished.
    while (queue.length > 0 && !stopped()) await work(client, true);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    opening.abort();
    await Promise.all(forks.map(async (forking) => (await forking)?.close()));
  }
  if (stopped()) throw stop.signal.reason;
}
