import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { untilAborted } from '../abort.js';
import type { FtpClient } from '../client.js';
import type { ClientOptions, ProtocolLine } from '../options.js';
import { parseCommandLine, type Command, type VerbCommand } from './args.js';
import { connectAndLogIn } from './connect.js';
import { resolveTarget, type ResolvedTarget, type ResolveOptions } from './credentials.js';
import { GLOBAL_HELP, usageLine, verbHelp } from './help.js';
import { ProgressReporter, progressStyle } from './progress.js';
import { PromptInterruptedError, promptHidden, type PromptInput } from './prompt.js';
import {
  readTrust,
  securityOptions,
  withForeignDataHost,
  type ConnectionSecurity,
  type Trust,
} from './security.js';
import { errorLine, printable } from './terminal-text.js';
import { parseFtpUrl } from './url.js';
import { UsageError } from './usage-error.js';
import { preflight, runVerb, urlArgument } from './verbs.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, what shells report for a command stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

type OutputStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  stdin: Readable & PromptInput & { isTTY?: boolean };
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  homedir: string;
  /** Local relative paths are resolved against this. */
  cwd: string;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt: (handler: () => void) => () => void;
}

/** Ctrl-C: the first press aborts the transfer (ABOR), a second one ends the process at once. */
function processInterrupt(handler: () => void): () => void {
  let presses = 0;
  const listener = (): void => {
    presses++;
    if (presses > 1) dieOfInterrupt();
    handler();
  };
  process.on('SIGINT', listener);
  return () => process.removeListener('SIGINT', listener);
}

/** The given parts, the process's for the rest; process.stdin is only touched when used. */
function fillIo(io: Partial<CliIo>): CliIo & { stdinIsTty: boolean } {
  return {
    get stdin() {
      return io.stdin ?? process.stdin;
    },
    stdinIsTty: io.stdin ? io.stdin.isTTY === true : isatty(0),
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    homedir: io.homedir ?? homedir(),
    cwd: io.cwd ?? process.cwd(),
    onInterrupt: io.onInterrupt ?? processInterrupt,
  };
}

export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

async function version(): Promise<string> {
  // build/src/client/cli/main.js -> the package root.
  const text = await readFile(new URL('../../../../package.json', import.meta.url), 'utf8');
  const parsed = JSON.parse(text) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}

/** A usage error's lines: the message, then the command's usage line. */
function usageText(error: UsageError): string {
  return `ftpkit: ${printable(error.message)}\n${usageLine(error.verb)}\n`;
}

function credentialsOptions(cli: CliIo & { stdinIsTty: boolean }): ResolveOptions {
  const options: ResolveOptions = {
    warn: (message) => cli.stderr.write(`ftpkit: warning: ${message}\n`),
  };
  if (cli.stdinIsTty) options.promptPassword = (question) => promptHidden(cli.stdin, cli.stderr, question);
  return options;
}

function clientOptions(command: VerbCommand, cli: CliIo, security: ConnectionSecurity): ClientOptions {
  const options: ClientOptions = {
    mode: command.flags.mode,
    ...withForeignDataHost(security, command.flags.foreignDataHost),
  };
  if (command.flags.verbose) {
    options.onProtocol = (line: ProtocolLine) => {
      cli.stderr.write(`${line.direction === 'sent' ? '> ' : '< '}${printable(line.text)}\n`);
    };
  }
  return options;
}

async function runOneShot(command: VerbCommand, cli: CliIo & { stdinIsTty: boolean }): Promise<number> {
  const controller = new AbortController();
  const stopListening = cli.onInterrupt(() => {
    controller.abort(new InterruptedError());
  });
  let client: FtpClient | undefined;
  try {
    const url = parseFtpUrl(urlArgument(command));
    const security = await securityOptions(command.flags, url, cli.cwd);
    await preflight(command, url, cli.cwd);
    const target = await resolveTarget(url, cli.env, cli.homedir, credentialsOptions(cli));
    client = await connectAndLogIn(target, clientOptions(command, cli, security), controller.signal);
    if (command.flags.ascii) client.type = 'ascii';
    const quiet = command.flags.quiet;
    const running = runVerb({
      client,
      target,
      command,
      stdin: cli.stdin,
      stdout: cli.stdout,
      info: (line) => {
        if (!quiet) cli.stderr.write(`${line}\n`);
      },
      warn: (line) => cli.stderr.write(`ftpkit: ${printable(line)}\n`),
      progress: new ProgressReporter(cli.stderr, progressStyle(cli.stderr, quiet)),
      cwd: cli.cwd,
      signal: controller.signal,
    });
    try {
      return await untilAborted(running, controller.signal);
    } catch (error) {
      // Let an aborted transfer finish its ABOR exchange before QUIT is sent.
      if (controller.signal.aborted) await running.catch(() => undefined);
      throw error;
    }
  } catch (error) {
    if (controller.signal.aborted || error instanceof PromptInterruptedError) {
      cli.stderr.write('ftpkit: interrupted\n');
      return EXIT_INTERRUPTED;
    }
    if (error instanceof UsageError) {
      cli.stderr.write(usageText(error));
      return EXIT_USAGE;
    }
    cli.stderr.write(`ftpkit: ${errorLine(error)}\n`);
    return EXIT_FAILURE;
  } finally {
    stopListening();
    try {
      await client?.close();
    } catch {
      // The command's outcome is what the user needs; a failed QUIT changes nothing.
    }
  }
}

async function runShellCommand(command: VerbCommand, cli: CliIo & { stdinIsTty: boolean }): Promise<number> {
  let target: ResolvedTarget | undefined;
  let trust: Trust;
  const urlText = command.args[0];
  try {
    // Read once here, the file named as the user gave it: every `open` of the shell uses it.
    trust = await readTrust(command.flags, cli.cwd);
    if (urlText !== undefined) {
      target = await resolveTarget(parseFtpUrl(urlText), cli.env, cli.homedir, credentialsOptions(cli));
    }
  } catch (error) {
    if (error instanceof PromptInterruptedError) return EXIT_INTERRUPTED;
    if (error instanceof UsageError) {
      cli.stderr.write(usageText(error));
      return EXIT_USAGE;
    }
    cli.stderr.write(`ftpkit: ${errorLine(error)}\n`);
    return EXIT_FAILURE;
  }
  let runShell: typeof import('./shell.js').runShell;
  try {
    // Loaded on demand: one-shot commands need not pay for the shell's modules.
    ({ runShell } = await import('./shell.js'));
  } catch (error) {
    cli.stderr.write(`ftpkit: the interactive shell cannot start: ${errorLine(error)}\n`);
    return EXIT_FAILURE;
  }
  return runShell({
    ...(target === undefined ? {} : { target }),
    mode: command.flags.mode,
    foreignDataHost: command.flags.foreignDataHost,
    verbose: command.flags.verbose,
    tls: { tls: command.flags.tls, trust },
    input: cli.stdin,
    output: cli.stdout,
    errorOutput: cli.stderr,
    env: cli.env,
    homedir: cli.homedir,
    cwd: cli.cwd,
  });
}

/**
 * The `ftpkit` command: runs what `argv` (the arguments after the program name) asks for and
 * resolves with the exit status. It never calls process.exit itself (except on a second Ctrl-C
 * when using the process's signals), so tests can call it in-process with their own `io`.
 */
export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli = fillIo(io);
  // A reader that goes away (`ftpkit ls URL | head`) must not crash the process with EPIPE. The
  // process's own stdout keeps the listener: its last write may fail after main() has returned.
  const ignoreOutputError = (): void => undefined;
  cli.stdout.on('error', ignoreOutputError);
  try {
    return await run(argv, cli);
  } finally {
    if (cli.stdout !== process.stdout) cli.stdout.removeListener('error', ignoreOutputError);
  }
}

async function run(argv: string[], cli: CliIo & { stdinIsTty: boolean }): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) cli.stderr.write(usageText(error));
    else cli.stderr.write(`ftpkit: ${errorLine(error)}\n`);
    return EXIT_USAGE;
  }
  switch (command.kind) {
    case 'help':
      cli.stdout.write(command.verb === undefined ? GLOBAL_HELP : verbHelp(command.verb));
      return EXIT_OK;
    case 'version':
      cli.stdout.write(`ftpkit ${await version()}\n`);
      return EXIT_OK;
    case 'verb':
      return command.verb === 'shell' ? runShellCommand(command, cli) : runOneShot(command, cli);
  }
}

/**
 * Ends the process as one interrupted by Ctrl-C: it dies of SIGINT, as a program that handles the
 * signal should, so that a shell sees an interrupted command (status 130) and stops a loop that
 * ran it. Dying, it also drops at once what it still had for a pipe or a FIFO nobody reads, where
 * an exit would wait for a write stuck in the thread pool.
 */
export function dieOfInterrupt(): void {
  process.removeAllListeners('SIGINT');
  process.kill(process.pid, 'SIGINT');
  // Only if SIGINT is ignored (a background job's parent may have set it so).
  process.exit(EXIT_INTERRUPTED);
}

/**
 * The last resort for the binary: an error nothing else caught still ends the process with one
 * line, never a stack trace.
 */
export function reportCrash(error: unknown): never {
  process.stderr.write(`ftpkit: internal error: ${errorLine(error)}\n`);
  process.exit(EXIT_FAILURE);
}
