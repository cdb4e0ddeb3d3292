import { expect } from 'chai';
import { FtpClient } from '../../../src/client/client.js';
import { runJobs, type Job, type JobOutcome } from '../../../src/client/mirror/pool.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { waitFor } from '../../helpers/wait.js';
import { FakeServer } from '../fake-server.js';

/** A promise and the function that settles it. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function breakConnection(client: FtpClient): Promise<void> {
  await client.raw('QUIT');
  await waitFor(() => !client.isOpen, 5000, 'the server to close the connection');
}

describe('mirror pool', function () {
  let server: TestServer;
  let client: FtpClient;

  before(async function () {
    server = await startServer();
  });

  after(async function () {
    await server.close();
  });

  beforeEach(async function () {
    client = await FtpClient.connect({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
    });
  });

  afterEach(async function () {
    await client.close();
    await waitFor(() => server.server.sessionCount === 0, 5000, 'every session to end');
  });

  function collect(): { outcomes: Map<string, JobOutcome>; report: (job: Job, outcome: JobOutcome) => void } {
    const outcomes = new Map<string, JobOutcome>();
    return { outcomes, report: (job, outcome) => outcomes.set(job.path, outcome) };
  }

  it('runs `parallel` jobs at once, each over its own connection', async function () {
    const all = latch();
    const running = new Set<FtpClient>();
    const used = new Set<FtpClient>();
    let peak = 0;
    const jobs: Job[] = Array.from({ length: 8 }, (_, i) => ({
      path: `job-${i}`,
      async run(worker) {
        // A real command: the connection is logged in and in the client's directory.
        expect(await worker.pwd()).to.equal('/');
        running.add(worker);
        used.add(worker);
        peak = Math.max(peak, running.size);
        // Nobody finishes until four run together; with fewer connections the test times out.
        if (running.size === 4) all.open();
        await all.promise;
        running.delete(worker);
        return i;
      },
    }));
    const { outcomes, report } = collect();
    await runJobs({ client, parallel: 4, jobs, report });
    expect(peak).to.equal(4);
    expect(used.size).to.equal(4);
    expect(used.has(client)).to.equal(true);
    expect(
      [...outcomes.values()].map((outcome) => ('bytes' in outcome ? outcome.bytes : -1)).sort(),
    ).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    // The forks are closed before runJobs resolves; the server sees them go a moment later.
    for (const fork of used) if (fork !== client) expect(fork.isOpen).to.equal(false);
    await waitFor(() => server.server.sessionCount === 1, 5000, 'the forks to close');
  });

  it('reports a failed job and goes on with the others', async function () {
    const jobs: Job[] = ['a', 'b', 'c'].map((path) => ({
      path,
      run: () => (path === 'b' ? Promise.reject(new Error('no b')) : Promise.resolve(1)),
    }));
    const { outcomes, report } = collect();
    await runJobs({ client, parallel: 2, jobs, report });
    expect(outcomes.get('a')).to.deep.equal({ bytes: 1 });
    expect(outcomes.get('c')).to.deep.equal({ bytes: 1 });
    const failed = outcomes.get('b');
    expect(failed !== undefined && 'error' in failed ? failed.error.message : undefined).to.equal('no b');
  });

  it('gives the job of a fork whose connection broke to another connection', async function () {
    const forkBroke = latch();
    let broken: FtpClient | undefined;
    const ranOn = new Map<string, FtpClient[]>();
    const jobs: Job[] = Array.from({ length: 4 }, (_, i) => ({
      path: `job-${i}`,
      async run(worker) {
        ranOn.set(`job-${i}`, [...(ranOn.get(`job-${i}`) ?? []), worker]);
        // The client's own job waits, so that a fork surely takes one.
        if (worker === client) await forkBroke.promise;
        else if (broken === undefined) {
          broken = worker;
          await breakConnection(worker);
          forkBroke.open();
          throw new Error('connection lost');
        }
        return 1;
      },
    }));
    const { outcomes, report } = collect();
    await runJobs({ client, parallel: 3, jobs, report });
    expect([...outcomes.values()]).to.deep.equal([{ bytes: 1 }, { bytes: 1 }, { bytes: 1 }, { bytes: 1 }]);
    const retried = [...ranOn.values()].find((workers) => workers.length === 2);
    expect(retried?.[0]).to.equal(broken);
    expect(retried?.[1]).not.to.equal(broken);
  });

  it('reconnects its own connection when it breaks, in the same directory, and gives the job another try', async function () {
    await client.mkdir('sub');
    await client.cd('sub');
    const ranOn = new Map<string, string[]>();
    let broke = false;
    const jobs: Job[] = Array.from({ length: 3 }, (_, i) => ({
      path: `job-${i}`,
      async run(worker) {
        const where = await worker.pwd();
        ranOn.set(`job-${i}`, [...(ranOn.get(`job-${i}`) ?? []), where]);
        if (worker === client && !broke) {
          broke = true;
          await breakConnection(client);
          throw new Error('main connection lost');
        }
        return 1;
      },
    }));
    const { outcomes, report } = collect();
    await runJobs({ client, parallel: 1, jobs, report });
    expect([...outcomes.values()]).to.deep.equal([{ bytes: 1 }, { bytes: 1 }, { bytes: 1 }]);
    expect(broke).to.equal(true);
    expect(client.isLoggedIn).to.equal(true);
    expect(await client.pwd()).to.equal('/sub');
    // The job that broke ran twice, both times in /sub.
    expect([...ranOn.values()].find((places) => places.length === 2)).to.deep.equal(['/sub', '/sub']);
  });

  it('reports a job failed when the connection breaks under it twice, and goes on', async function () {
    const jobs: Job[] = ['a', 'b'].map((path) => ({
      path,
      async run(worker) {
        if (path === 'a') {
          await breakConnection(worker);
          throw new Error(`lost during ${path}`);
        }
        return 1;
      },
    }));
    const { outcomes, report } = collect();
    await runJobs({ client, parallel: 1, jobs, report });
    const failed = outcomes.get('a');
    expect(failed !== undefined && 'error' in failed ? failed.error.message : undefined).to.equal(
      'lost during a',
    );
    expect(outcomes.get('b')).to.deep.equal({ bytes: 1 });
  });

  it('rejects when its own connection breaks and cannot be opened again, after closing the forks', async function () {
    const own = await startServer();
    const mine = await FtpClient.connect({
      host: own.host,
      port: own.port,
      user: own.user,
      password: own.password,
    });
    const lost = new Error('main connection lost');
    const started = latch();
    let forks = 0;
    const jobs: Job[] = Array.from({ length: 3 }, (_, i) => ({
      path: `job-${i}`,
      async run(worker, signal) {
        if (worker === mine) {
          await started.promise;
          await own.close();
          throw lost;
        }
        forks++;
        if (forks === 2) started.open();
        // The forks' jobs run until the pool stops them.
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        throw new Error('stopped');
      },
    }));
    const { outcomes, report } = collect();
    let error: unknown;
    try {
      await runJobs({ client: mine, parallel: 3, jobs, report });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.equal(lost);
    expect(outcomes.size).to.equal(0);
    expect(mine.isOpen).to.equal(false);
  });

  it('rejects with the abort reason and with what a report throws', async function () {
    const controller = new AbortController();
    const reason = new Error('stop now');
    const jobs: Job[] = Array.from({ length: 5 }, (_, i) => ({
      path: `job-${i}`,
      run: () => {
        controller.abort(reason);
        return Promise.resolve(1);
      },
    }));
    const { outcomes, report } = collect();
    let error: unknown;
    try {
      await runJobs({ client, parallel: 1, jobs, signal: controller.signal, report });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.equal(reason);
    expect(outcomes.size).to.equal(1);

    const thrown = new Error('the callback broke');
    error = undefined;
    try {
      await runJobs({
        client,
        parallel: 2,
        jobs: jobs.slice(0, 2).map((job) => ({ path: job.path, run: () => Promise.resolve(1) })),
        report: () => {
          throw thrown;
        },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.equal(thrown);
  });

  it('does not wait for a fork whose login the server never answers once the work is done', async function () {
    // pyftpdlib loses track of a connection now and then: the greeting comes, USER gets no answer.
    this.timeout(5000);
    const fake = await FakeServer.start({
      handlers: {
        USER: (session) => {
          if (session !== fake.sessions[0]) return;
          session.reply('331 Password please.');
        },
      },
    });
    const own = await FtpClient.connect({
      host: fake.host,
      port: fake.port,
      user: 'u',
      password: 'p',
      replyTimeoutMs: 60_000,
    });
    try {
      const jobs: Job[] = ['a', 'b', 'c'].map((path) => ({ path, run: () => Promise.resolve(1) }));
      const { outcomes, report } = collect();
      await runJobs({ client: own, parallel: 3, jobs, report });
      expect(outcomes.size).to.equal(3);
      await waitFor(
        () => fake.sessions.slice(1).every((session) => session.socket.destroyed),
        2000,
        'the forks to be dropped',
      );
    } finally {
      await own.close();
      await fake.close();
    }
  });
});
