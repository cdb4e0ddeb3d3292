import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { FtpClient } from '../client.js';
import { FtpReplyError } from '../errors.js';
import type { ClientOptions, ProtocolLine } from '../options.js';
import { parseCommandLine, type Command, type VerbCommand } from './args.js';
import { resolveTarget, type ResolvedTarget, type ResolveOptions } from './credentials.js';
import { GLOBAL_HELP, verbHelp } from './help.js';
import { ProgressReporter, progressStyle } from './progress.js';
import { PromptInterruptedError, promptHidden, type PromptInput } from './prompt.js';
import { formatHostPort, parseFtpUrl } from './url.js';
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

/** Ctrl-C: the first press aborts the transfer (ABOR), a second one exits at once. */
function processInterrupt(handler: () => void): () => void {
  let presses = 0;
  const listener = (): void => {
    presses++;
    if (presses > 1) process.exit(EXIT_INTERRUPTED);
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

/** Rejects with the signal's reason as soon as it fires, even if `promise` cannot be cancelled. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The text after "ftpkit: ". An FtpReplyError's message already reads "RETR f: 550 No such file". */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function credentialsOptions(cli: CliIo & { stdinIsTty: boolean }): ResolveOptions {
  const options: ResolveOptions = {
    warn: (message) => cli.stderr.write(`ftpkit: warning: ${message}\n`),
  };
  if (cli.stdinIsTty) options.promptPassword = (question) => promptHidden(cli.stdin, cli.stderr, question);
  return options;
}

function clientOptions(command: VerbCommand, cli: CliIo): ClientOptions {
  const options: ClientOptions = { mode: command.flags.mode };
  if (command.flags.verbose) {
    options.onProtocol = (line: ProtocolLine) => {
      cli.stderr.write(`${line.direction === 'sent' ? '> ' : '< '}${line.text}\n`);
    };
  }
  return options;
}

async function connect(
  target: ResolvedTarget,
  options: ClientOptions,
  signal: AbortSignal,
): Promise<FtpClient> {
  const pending = FtpClient.connect({
    ...options,
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
  });
  try {
    return await untilAborted(pending, signal);
  } catch (error) {
    // Interrupted while connecting: the connection may still come up, and must then be closed.
    void pending.then(
      (client) => client.close(),
      () => undefined,
    );
    const where = formatHostPort(target.host, target.port);
    if (signal.aborted) throw error;
    if (error instanceof FtpReplyError) {
      const reply = `${error.reply.code} ${error.reply.text}`;
      throw new Error(`cannot log in to ${where} as ${target.user}: ${reply}`, { cause: error });
    }
    throw new Error(`cannot connect to ${where}: ${describe(error)}`, { cause: error });
  }
}

async function runOneShot(command: VerbCommand, cli: CliIo & { stdinIsTty: boolean }): Promise<number> {
  const controller = new AbortController();
  const stopListening = cli.onInterrupt(() => {
    controller.abort(new InterruptedError());
  });
  // A reader that goes away (`ftpkit ls URL | head`) must not crash the process with EPIPE.
  const ignoreOutputError = (): void => undefined;
  cli.stdout.on('error', ignoreOutputError);
  let client: FtpClient | undefined;
  try {
    const url = parseFtpUrl(urlArgument(command));
    await preflight(command, url, cli.cwd);
    const target = await resolveTarget(url, cli.env, cli.homedir, credentialsOptions(cli));
    client = await connect(target, clientOptions(command, cli), controller.signal);
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
      warn: (line) => cli.stderr.write(`ftpkit: ${line}\n`),
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
    cli.stderr.write(`ftpkit: ${describe(error)}\n`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    stopListening();
    try {
      await client?.close();
    } catch {
      // The command's outcome is what the user needs; a failed QUIT changes nothing.
    }
    cli.stdout.removeListener('error', ignoreOutputError);
  }
}

async function runShellCommand(command: VerbCommand, cli: CliIo & { stdinIsTty: boolean }): Promise<number> {
  let target: ResolvedTarget | undefined;
  const urlText = command.args[0];
  if (urlText !== undefined) {
    try {
      target = await resolveTarget(parseFtpUrl(urlText), cli.env, cli.homedir, credentialsOptions(cli));
    } catch (error) {
      if (error instanceof PromptInterruptedError) return EXIT_INTERRUPTED;
      cli.stderr.write(`ftpkit: ${describe(error)}\n`);
      return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
    }
  }
  let runShell: typeof import('./shell.js').runShell;
  try {
    // Loaded on demand: one-shot commands need not pay for the shell's modules.
    ({ runShell } = await import('./shell.js'));
  } catch (error) {
    cli.stderr.write(`ftpkit: the interactive shell cannot start: ${describe(error)}\n`);
    return EXIT_FAILURE;
  }
  return runShell({
    ...(target === undefined ? {} : { target }),
    mode: command.flags.mode,
    verbose: command.flags.verbose,
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
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    cli.stderr.write(`ftpkit: ${describe(error)}\n(ftpkit --help shows the usage)\n`);
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
