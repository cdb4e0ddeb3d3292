import { run, startProcess, type ProcessHandle, type RunResult } from './process.js';

/** Wait for `expect` in the terminal's output, then type `send`. */
export interface PtyStep {
  expect: string;
  send?: string;
}

// Python's pty module gives the child a real terminal (isTTY, raw mode, echo, Ctrl-C as SIGINT)
// with no native Node addon. Without steps the script relays: what we write to its stdin is typed
// on the terminal, and what the terminal shows comes out on its stdout as it comes.
const SCRIPT = String.raw`
import json, os, pty, select, sys, time
steps = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen = b''
relay = not steps
inputs = [fd, 0] if relay else [fd]
def pump(deadline):
    global seen, inputs
    while time.time() < deadline:
        ready, _, _ = select.select(inputs, [], [], 0.05)
        if 0 in ready:
            typed = os.read(0, 4096)
            if typed:
                os.write(fd, typed)
            else:
                inputs = [fd]
        if fd in ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            seen += chunk
            if relay:
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
            return True
    return True
for step in steps:
    deadline = time.time() + 10
    while step['expect'].encode() not in seen and time.time() < deadline:
        if not pump(deadline):
            break
    if step['expect'].encode() not in seen:
        sys.stdout.write(seen.decode('utf8', 'replace'))
        sys.stderr.write('pty: never saw %r\n' % step['expect'])
        os.kill(pid, 9)
        sys.exit(99)
    if step.get('send'):
        os.write(fd, step['send'].encode())
while pump(time.time() + (3600 if relay else 10)):
    pass
_, status = os.waitpid(pid, 0)
if not relay:
    sys.stdout.write(seen.decode('utf8', 'replace'))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

/** Runs a command on a pseudo-terminal, typing as the steps say; stdout is what the terminal showed. */
export function runInPty(
  command: string,
  args: readonly string[],
  steps: readonly PtyStep[],
): Promise<RunResult> {
  if (steps.length === 0) throw new Error('runInPty needs steps; startInPty relays instead');
  return run('python3', ['-c', SCRIPT, JSON.stringify(steps), command, ...args], { timeoutMs: 30_000 });
}

/**
 * Starts a command on a pseudo-terminal: write() types on it (\u0003 is Ctrl-C), and the
 * terminal's output comes as the handle's stdout.
 */
export function startInPty(
  command: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<ProcessHandle> {
  return startProcess('python3', ['-c', SCRIPT, '[]', command, ...args], env === undefined ? {} : { env });
}
