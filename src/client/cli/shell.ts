import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { isPlainName } from '../../protocol/index.js';
import { FtpClient } from '../client.js';
import { ConnectionClosedError, FtpReplyError } from '../errors.js';
import type { DataMode, ProtocolLine } from '../options.js';
import {
  createCompleter,
  ListingCache,
  splitWords,
  type CompletionSource,
  type NameEntry,
  type Word,
} from './completion.js';
import type { ResolvedTarget } from './credentials.js';
import { ProgressReporter, progressStyle, type ProgressOutput } from './progress.js';
import { PromptInterruptedError, promptHidden, type PromptInput } from './prompt.js';
import {
  connectionSecurity,
  secureMode,
  withForeignDataHost,
  type ConnectionSecurity,
  type TlsDefaults,
} from './security.js';
import {
  argumentKind,
  commandNames,
  findCommand,
  listLocalNames,
  resolveLocal,
  usageLine,
  type ShellCommand,
  type ShellContext,
  type ShellState,
} from './shell-commands.js';
import { ShellError } from './shell-error.js';
import { openSession } from './shell-session.js';
import { errorLine, printable } from './terminal-text.js';

/** How main.ts starts the shell. */
export interface ShellLaunch {
  /** Connect to this first (credentials already resolved). */
  target?: ResolvedTarget;
  mode: DataMode;
  /** The command line's --foreign-data-host, for every `open`. */
  foreignDataHost?: boolean;
  verbose: boolean;
  /** The command line's --tls, --ca and --insecure; default plain FTP, certificates checked. */
  tls?: TlsDefaults;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errorOutput: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  homedir: string;
  /** The local directory `lcd` starts in; the process's by default. */
  cwd?: string;
}

const PROMPT = 'ftpkit> ';
const HISTORY_FILE = '.ftpkit_history';
const HISTORY_LINES = 500;
/** Longest a Tab may keep the prompt waiting for a remote listing. */
const COMPLETION_TIMEOUT_MS = 3000;
/** How long a listing fetched for completion is reused. */
const LISTING_TTL_MS = 5000;

/**
 * The interactive shell: the classic ftp(1) commands against one connection at a time, read from
 * a terminal (prompt, history, completion, Ctrl-C aborts a transfer) or line by line from a pipe.
 * Resolves with the exit status: 1 when reading from a pipe and some command failed, else 0.
 */
export async function runShell(launch: ShellLaunch): Promise<number> {
  const interactive = (launch.input as { isTTY?: boolean }).isTTY === true;
  const history = interactive ? await loadHistory(launch.homedir) : [];
  return new Shell(launch, interactive, history).run();
}

/** Lines as readline delivers them, taken one at a time by the command loop. */
class LineQueue {
  readonly #lines: string[] = [];
  #ended = false;
  #waiter: ((line: string | undefined) => void) | undefined;

  push(line: string): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) waiter(line);
    else this.#lines.push(line);
  }

  end(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(undefined);
  }

  /** The next line; undefined at the end of the input. */
  next(): Promise<string | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined || this.#ended) return Promise.resolve(line);
    return new Promise((resolve) => (this.#waiter = resolve));
  }
}

class Shell {
  readonly #launch: ShellLaunch;
  readonly #tlsDefaults: TlsDefaults;
  readonly #interactive: boolean;
  readonly #state: ShellState;
  readonly #rl: Interface;
  readonly #lines = new LineQueue();
  readonly #progress: ProgressReporter;
  readonly #listings = new ListingCache<readonly NameEntry[]>(LISTING_TTL_MS);
  /** Aborts the command now running; undefined at the prompt. */
  #running: AbortController | undefined;
  /** Completion listings in flight: their protocol lines are not shown over the prompt. */
  #completing = 0;
  #failed = false;
  #quit = false;
  /** Newest first, as readline keeps it. */
  #history: string[];

  constructor(launch: ShellLaunch, interactive: boolean, history: string[]) {
    this.#launch = launch;
    this.#tlsDefaults = launch.tls ?? { tls: false, trust: { insecure: false } };
    this.#interactive = interactive;
    this.#history = history;
    this.#state = {
      session: undefined,
      mode: launch.mode,
      type: 'binary',
      verbose: launch.verbose,
      localDir: launch.cwd ?? process.cwd(),
    };
    const output = launch.output as ProgressOutput;
    this.#progress = new ProgressReporter(output, progressStyle(output, false));
    this.#rl = createInterface({
      input: launch.input,
      output: launch.output,
      // Raw keys (completion, Ctrl-C at the prompt, hidden passwords) only make sense on a terminal.
      terminal: interactive,
      prompt: PROMPT,
      crlfDelay: Infinity,
      ...(interactive
        ? {
            history,
            historySize: HISTORY_LINES,
            removeHistoryDuplicates: true,
            completer: createCompleter(this.#completionSource(), COMPLETION_TIMEOUT_MS),
          }
        : { historySize: 0 }),
    });
    this.#rl.on('line', (line) => {
      this.#lines.push(line);
    });
    this.#rl.on('close', () => {
      this.#lines.end();
    });
    this.#rl.on('history', (lines) => {
      this.#history = [...lines];
    });
    this.#rl.on('SIGINT', () => {
      this.#interrupt();
    });
  }

  async run(): Promise<number> {
    try {
      const { target } = this.#launch;
      if (target !== undefined) {
        const { tls, trust } = this.#tlsDefaults;
        const security = withForeignDataHost(
          connectionSecurity(secureMode(target.implicitTls === true, tls), trust),
          this.#launch.foreignDataHost === true,
        );
        const open = (ctx: ShellContext): Promise<void> =>
          openSession(ctx, target, security, (session) => {
            this.#state.session = session;
          });
        await this.#execute(open, true, 'open');
      }
      while (!this.#quit) {
        if (this.#interactive) this.#rl.prompt();
        const line = await this.#lines.next();
        if (line === undefined) {
          // Ctrl-D: leave the terminal's next prompt on a line of its own.
          if (this.#interactive) this.#launch.output.write('\n');
          break;
        }
        await this.#runLine(line);
      }
    } finally {
      await this.#shutdown();
    }
    return !this.#interactive && this.#failed ? 1 : 0;
  }

  async #runLine(line: string): Promise<void> {
    const words = splitWords(line);
    const [first, ...rest] = words;
    if (first === undefined) return;
    // Said with every failure when the input is a script: several may fail, and each must say which.
    const shown = printable(historyLine(line).trim());
    if (words.some((word) => word.open)) {
      this.#fail(`${shown}: ?Unclosed quote`);
      return;
    }
    const command = findCommand(first.text);
    if (command === undefined) {
      this.#fail(`?Invalid command: ${printable(first.text)} (help lists the commands)`);
      return;
    }
    const parsed = parseArguments(command, rest);
    if (typeof parsed === 'string') {
      this.#fail(`${parsed}\nusage: ${usageLine(command)}`);
      return;
    }
    const { args, flags, values } = parsed;
    const current = this.#state.session;
    if (current !== undefined && !current.client.isOpen) {
      // The server hung up while we sat at the prompt.
      this.#dropSession();
      this.#launch.errorOutput.write('Connection lost.\n');
    }
    const session = this.#state.session;
    if (command.needs !== undefined && session === undefined) {
      this.#fail(this.#interactive ? 'Not connected.' : `${shown}: Not connected.`);
      return;
    }
    await this.#execute(
      async (ctx) => {
        if (command.needs === 'login') await session?.ensureLoggedIn((text) => ctx.print(text));
        await command.run(ctx, args, flags, values);
      },
      command.changesRemote === true,
      shown,
    );
  }

  /** Runs one command; `shown` is how its failures name it when the input is a script. */
  async #execute(
    run: (ctx: ShellContext) => Promise<void>,
    changesRemote: boolean,
    shown: string,
  ): Promise<void> {
    const controller = new AbortController();
    this.#running = controller;
    const ctx = this.#context(controller.signal, shown);
    this.#syncClient();
    try {
      await run(ctx);
    } catch (error) {
      this.#report(error, controller.signal, shown);
    } finally {
      this.#running = undefined;
      this.#syncClient();
      if (changesRemote) this.#listings.clear();
    }
  }

  /** The client follows the shell's mode and type, whichever command changed them. */
  #syncClient(): void {
    const client = this.#state.session?.client;
    if (client === undefined) return;
    client.mode = this.#state.mode;
    client.type = this.#state.type;
  }

  #context(signal: AbortSignal, shown: string): ShellContext {
    const { output, errorOutput } = this.#launch;
    return {
      state: this.#state,
      signal,
      interactive: this.#interactive,
      env: this.#launch.env,
      homedir: this.#launch.homedir,
      tlsDefaults: this.#tlsDefaults,
      foreignDataHost: this.#launch.foreignDataHost === true,
      output,
      progress: this.#progress,
      print: (line) => output.write(`${line}\n`),
      report: (error, item) => {
        this.#report(error, signal, shown, item);
      },
      warn: (line) => errorOutput.write(`warning: ${printable(line)}\n`),
      newClient: (security) => this.#newClient(security),
      ask: (prompt) => this.#ask(prompt),
      askPassword: (prompt) => this.#askPassword(prompt),
      quit: () => {
        this.#quit = true;
      },
    };
  }

  #newClient(security: ConnectionSecurity): FtpClient {
    // One client per `open`: the callback reads the shell's state, so `verbose` works at any time.
    const client = new FtpClient({
      ...security,
      mode: this.#state.mode,
      onProtocol: (line) => {
        this.#showProtocol(line);
      },
    });
    client.type = this.#state.type;
    return client;
  }

  #showProtocol(line: ProtocolLine): void {
    if (!this.#state.verbose) return;
    if (this.#completing > 0 && this.#running === undefined) return;
    this.#launch.output.write(`${line.direction === 'sent' ? '> ' : '< '}${printable(line.text)}\n`);
  }

  #fail(message: string): void {
    this.#failed = true;
    this.#launch.errorOutput.write(`${message}\n`);
  }

  /**
   * Prints a failure: on a terminal as ftp(1) does (the user just typed the command); from a
   * script with the command and the item it concerns, so that each of several failures says which.
   */
  #report(error: unknown, signal: AbortSignal, shown: string, item?: string): void {
    this.#failed = true;
    const where = [this.#interactive ? undefined : shown, item].filter((part) => part !== undefined);
    const say = (message: string): void => {
      this.#launch.errorOutput.write(`${[...where, message].join(': ')}\n`);
    };
    if (signal.aborted || error instanceof PromptInterruptedError || isAbort(error)) {
      say('Interrupted.');
    } else if (error instanceof FtpReplyError) {
      say(printable(`${error.reply.code} ${error.reply.text}`));
    } else if (error instanceof ConnectionClosedError && this.#state.session?.client.isOpen !== true) {
      this.#dropSession();
      say(`Connection lost: ${printable(error.message)} (open connects again)`);
    } else {
      say(errorLine(error));
    }
  }

  #dropSession(): void {
    this.#state.session = undefined;
    this.#listings.clear();
  }

  /** Ctrl-C: aborts the running command (a transfer sends ABOR), or clears the line at the prompt. */
  #interrupt(): void {
    const running = this.#running;
    if (running !== undefined) {
      running.abort(new ShellError('Interrupted.'));
      return;
    }
    this.#launch.output.write('^C');
    // clearLine() moves to a fresh line and forgets what was typed; it is not in the typings.
    const rl = this.#rl as Interface & { clearLine?: () => void };
    if (typeof rl.clearLine === 'function') rl.clearLine();
    else this.#launch.output.write('\n');
    this.#rl.prompt();
  }

  /** A line of input with its prompt (on a terminal; a script's next line is taken as it is). */
  async #ask(prompt: string): Promise<string> {
    if (!this.#interactive) return (await this.#lines.next()) ?? '';
    this.#rl.setPrompt(prompt);
    this.#rl.prompt();
    try {
      return (await this.#lines.next()) ?? '';
    } finally {
      this.#rl.setPrompt(PROMPT);
    }
  }

  async #askPassword(prompt: string): Promise<string> {
    if (!this.#interactive) return (await this.#lines.next()) ?? '';
    const input = this.#launch.input as PromptInput;
    // readline reads keys through 'keypress' events; while they are detached, the password is
    // neither echoed nor taken as a command line.
    const keypress = input.listeners('keypress') as ((...args: unknown[]) => void)[];
    for (const listener of keypress) input.removeListener('keypress', listener);
    this.#rl.pause();
    try {
      return await promptHidden(input, this.#launch.output, prompt);
    } finally {
      for (const listener of keypress) input.on('keypress', listener);
      this.#rl.resume();
    }
  }

  #completionSource(): CompletionSource {
    return {
      commandNames,
      argumentKind,
      listRemote: (dir) => this.#listRemote(dir),
      listLocal: (dir) =>
        listLocalNames(resolveLocal(this.#state, this.#launch.homedir, dir === '' ? '.' : dir)),
    };
  }

  #listRemote(dir: string): Promise<readonly NameEntry[]> {
    const client = this.#state.session?.client;
    // Nothing to list, or a command holds the connection: a listing would wait behind it.
    if (client?.isLoggedIn !== true || this.#running !== undefined) return Promise.resolve([]);
    return this.#listings.get(dir, async () => {
      this.#completing++;
      try {
        const entries = await client.list(dir === '' ? undefined : dir);
        return entries
          .filter((entry) => isPlainName(entry.name))
          .map((entry) => ({ name: entry.name, dir: entry.type === 'dir', link: entry.type === 'link' }));
      } finally {
        this.#completing--;
      }
    });
  }

  async #shutdown(): Promise<void> {
    const client = this.#state.session?.client;
    this.#state.session = undefined;
    try {
      await client?.close();
    } catch {
      // Leaving anyway.
    }
    this.#rl.close();
    if (this.#interactive) await saveHistory(this.#launch.homedir, this.#history, this.#launch.errorOutput);
  }
}

/**
 * Splits a command's words into its options and its arguments, checking both against the command;
 * a string says what is wrong. Options come unquoted before the arguments, `--` ending them:
 * one-letter flags (`-F`), long switches (`--tls`) and long options with a value (`--ca FILE`).
 */
function parseArguments(
  command: ShellCommand,
  words: readonly Word[],
): { args: string[]; flags: Set<string>; values: Map<string, string> } | string {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const takesOptions = command.flags !== undefined || command.options !== undefined;
  let index = 0;
  for (; index < words.length && takesOptions; index++) {
    const word = words[index];
    if (word === undefined || word.quote !== undefined) break;
    const long = /^--([a-z][a-z-]*)$/.exec(word.text)?.[1];
    if (long !== undefined) {
      const options = command.options ?? {};
      const kind = Object.hasOwn(options, long) ? options[long] : undefined;
      if (kind === undefined) return `${command.name}: unknown option --${long}`;
      if (kind === 'switch') {
        flags.add(long);
        continue;
      }
      const value = words[index + 1];
      if (value === undefined) return `${command.name}: --${long} needs a value`;
      values.set(long, value.text);
      index++;
      continue;
    }
    if (!/^-[A-Za-z]+$/.test(word.text)) break;
    for (const letter of word.text.slice(1)) {
      if (command.flags?.includes(letter) !== true) return `${command.name}: unknown option -${letter}`;
      flags.add(letter);
    }
  }
  if (takesOptions && words[index]?.text === '--' && words[index]?.quote === undefined) index++;
  const args = words.slice(index).map((word) => word.text);
  const [min, max] = command.args;
  if (args.length < min || args.length > max) return `${command.name}: wrong number of arguments`;
  return { args, flags, values };
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

async function loadHistory(homedir: string): Promise<string[]> {
  try {
    const text = await readFile(join(homedir, HISTORY_FILE), 'utf8');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-HISTORY_LINES)
      .reverse();
  } catch {
    return [];
  }
}

/**
 * What of a history line may be written to disk: the password of `user NAME PASSWORD` and of an
 * ftp://user:password@ URL is dropped (it stays in memory for the up arrow).
 */
export function historyLine(line: string): string {
  const user = /^(\s*(?:user|login)\s+\S+)\s+\S.*$/i.exec(line);
  if (user?.[1] !== undefined) return user[1];
  return line.replace(/(\w+:\/\/[^\s/@:]*):[^\s/@]*@/g, '$1@');
}

async function saveHistory(
  homedir: string,
  newestFirst: readonly string[],
  errors: NodeJS.WritableStream,
): Promise<void> {
  const lines = [...newestFirst].reverse().map(historyLine).slice(-HISTORY_LINES);
  try {
    await writeFile(join(homedir, HISTORY_FILE), lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
  } catch (error) {
    errors.write(`warning: cannot save the history: ${(error as Error).message}\n`);
  }
}
