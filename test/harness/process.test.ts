import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { liveChildCount, run, startProcess, type ProcessHandle } from '../helpers/process.js';

const NODE = process.execPath;

/**
 * Polls for a condition with a bound: a SIGKILLed process closes its pipes a moment before the
 * kernel marks it dead, so "gone" is checked as a state to reach, not at one instant.
 */
async function eventually(condition: () => boolean, timeoutMs = 3_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await delay(10);
  }
  return true;
}

/** Running, as opposed to gone or a zombie (a killed orphan waits for a slow init to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

describe('harness: run()', function () {
  it('collects stdout, stderr and the exit code, and feeds stdin', async function () {
    const script =
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{' +
      'process.stdout.write(s.toUpperCase());process.stderr.write("err ✓");process.exit(3)})';
    const result = await run(NODE, ['-e', script], { input: 'héllo' });
    expect(result).to.deep.equal({
      code: 3,
      signal: null,
      stdout: 'HÉLLO',
      stderr: 'err ✓',
      timedOut: false,
    });
  });

  it('passes arguments verbatim, with no shell in between', async function () {
    const args = ['$HOME', '; echo no', 'a "b"', '*'];
    const result = await run(NODE, ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...args]);
    expect(JSON.parse(result.stdout)).to.deep.equal(args);
  });

  it('merges env over process.env and runs in cwd', async function () {
    const result = await run(NODE, ['-e', 'console.log(process.env.FTPKIT_X + " " + process.cwd())'], {
      env: { FTPKIT_X: 'set' },
      cwd: '/',
    });
    expect(result.stdout.trim()).to.equal('set /');
  });

  it('kills at the timeout with SIGKILL and says so', async function () {
    const started = Date.now();
    const result = await run(NODE, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 300 });
    expect(Date.now() - started).to.be.below(5_000);
    expect(result.timedOut).to.equal(true);
    expect(result.signal).to.equal('SIGKILL');
    expect(result.stderr).to.match(/killed with SIGKILL after the 300 ms timeout/);
  });

  it('leaves no grandchild behind, even one holding the output pipe open', async function () {
    // The child forks a long sleeper sharing its stdout and exits at once.
    const script =
      'const c=require("child_process").spawn(process.execPath,["-e","setInterval(()=>{},1000)"],' +
      '{stdio:"inherit"});console.log(c.pid);process.exit(0)';
    const result = await run(NODE, ['-e', script], { timeoutMs: 10_000 });
    expect(result.timedOut).to.equal(false);
    const pid = Number(result.stdout.trim());
    expect(pid).to.be.greaterThan(0);
    expect(await eventually(() => !alive(pid))).to.equal(true);
  });

  it('caps output and says how much was dropped', async function () {
    const result = await run(NODE, ['-e', 'process.stdout.write("x".repeat(5000))'], {
      maxOutputBytes: 1000,
    });
    expect(result.stdout).to.equal(`${'x'.repeat(1000)}\n[harness] 4000 more bytes of output dropped`);
  });

  it('rejects when the command does not exist', async function () {
    let error: unknown;
    try {
      await run('/nonexistent/ftpkit-no-such-command', []);
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(Error);
    expect((error as NodeJS.ErrnoException).code).to.equal('ENOENT');
  });
});

describe('harness: startProcess()', function () {
  let handle: ProcessHandle | undefined;

  afterEach(async function () {
    await handle?.stop();
    handle = undefined;
  });

  it('waits for a line already printed or still to come, on either stream', async function () {
    handle = await startProcess(NODE, [
      '-e',
      'console.log("ready 1");setTimeout(()=>console.error("port=4321"),50);setInterval(()=>{},1000)',
    ]);
    const first = await handle.waitForLine(/^ready (\d)$/, { stream: 'stdout' });
    expect(first[1]).to.equal('1');
    const port = await handle.waitForLine(/^port=(\d+)$/, { stream: 'stderr' });
    expect(port[1]).to.equal('4321');
    expect(handle.stdout()).to.equal('ready 1');
  });

  it('counts only lines after a mark', async function () {
    handle = await startProcess(NODE, ['-e', 'let n=0;setInterval(()=>console.log("tick "+(++n)),20)']);
    await handle.waitForLine(/^tick 2$/);
    const mark = handle.mark();
    const next = await handle.waitForLine(/^tick (\d+)$/, { since: mark });
    expect(Number(next[1])).to.be.greaterThan(2);
    expect(handle.linesSince(mark)[0]).to.equal(next[0]);
    expect(handle.linesSince(0).slice(0, 2)).to.deep.equal(['tick 1', 'tick 2']);
  });

  it('rejects a wait when the process exits first, with its output', async function () {
    handle = await startProcess(NODE, ['-e', 'console.log("bye");process.exit(2)']);
    let error: unknown;
    try {
      await handle.waitForLine(/never/);
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).to.match(/exited|has exited/);
    expect((await handle.exited).code).to.equal(2);
  });

  it('rejects a wait that times out', async function () {
    handle = await startProcess(NODE, ['-e', 'setInterval(()=>{},1000)']);
    let error: unknown;
    try {
      await handle.waitForLine(/never/, { timeoutMs: 100 });
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).to.match(/within 100 ms/);
  });

  it('stop() escalates to SIGKILL when SIGTERM is ignored, and is idempotent', async function () {
    handle = await startProcess(NODE, [
      '-e',
      'process.on("SIGTERM",()=>{});console.log("armed");setInterval(()=>{},1000)',
    ]);
    await handle.waitForLine(/^armed$/);
    const pid = handle.pid;
    await Promise.all([handle.stop({ graceMs: 200 }), handle.stop()]);
    expect((await handle.exited).signal).to.equal('SIGKILL');
    expect(await eventually(() => !alive(pid))).to.equal(true);
  });

  it('leaves no tracked child running after these tests', function () {
    expect(liveChildCount()).to.equal(handle === undefined ? 0 : 1);
  });
});
