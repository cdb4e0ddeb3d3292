import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { killAllChildren } from '../test/helpers/process.js';
import { withTimeout } from './timeout.js';

interface Task {
  readonly label: string;
  readonly run: () => Promise<void>;
}

const SWEEP_TIMEOUT_MS = 20_000;

/**
 * Everything the bench starts or creates is registered here, so that one sweep undoes it whether
 * the run ends, fails or is interrupted. Tasks run newest first (servers stop before their roots go).
 */
export class Janitor {
  private readonly tasks = new Set<Task>();
  private readonly dirs = new Set<string>();
  private readonly syncTasks = new Set<{ readonly label: string; readonly run: () => void }>();
  private sweeping: Promise<void> | undefined;
  private interrupted = false;

  /** Registers an undo action; the returned function runs it now and unregisters it. */
  add(label: string, run: () => Promise<void>): () => Promise<void> {
    const task: Task = { label, run };
    this.tasks.add(task);
    return async () => {
      if (!this.tasks.delete(task)) return;
      await run();
    };
  }

  /**
   * An undo action that can run synchronously, so that it runs on a hard exit too (after the
   * children are killed): what must not outlive the bench even when it is cut short, such as
   * system accounts. The returned function runs it now and unregisters it.
   */
  addSync(label: string, run: () => void): () => Promise<void> {
    const task = { label, run };
    this.syncTasks.add(task);
    const release = this.add(label, () => {
      if (this.syncTasks.delete(task)) run();
      return Promise.resolve();
    });
    return release;
  }

  /** A directory removed (recursively) at the end, and synchronously on a hard exit. */
  addDir(path: string): () => Promise<void> {
    this.dirs.add(path);
    return async () => {
      if (!this.dirs.delete(path)) return;
      await rm(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    };
  }

  /** Runs every task still registered; safe to call more than once (later calls share the first). */
  sweep(): Promise<void> {
    this.sweeping ??= this.runSweep();
    return this.sweeping;
  }

  /** Ctrl-C and SIGTERM sweep and exit; a second signal, or a hung sweep, cuts everything at once. */
  installSignalHandlers(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.interrupted) {
        this.hardExit(130);
        return;
      }
      this.interrupted = true;
      process.stderr.write(`\n${signal}: stopping servers and removing temp files...\n`);
      withTimeout(this.sweep(), SWEEP_TIMEOUT_MS, 'cleanup').then(
        () => process.exit(130),
        () => {
          this.hardExit(130);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Whatever ends the process, no child and no temp dir may survive it.
    process.once('exit', () => {
      this.hardCleanup();
    });
  }

  isInterrupted(): boolean {
    return this.interrupted;
  }

  private async runSweep(): Promise<void> {
    const failures: string[] = [];
    for (const task of [...this.tasks].reverse()) {
      this.tasks.delete(task);
      try {
        await task.run();
      } catch (error) {
        failures.push(`${task.label}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const dir of [...this.dirs].reverse()) {
      this.dirs.delete(dir);
      try {
        await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
      } catch (error) {
        failures.push(`remove ${dir}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`cleanup problems:\n  ${failures.join('\n  ')}`);
  }

  private hardCleanup(): void {
    killAllChildren();
    for (const task of [...this.syncTasks].reverse()) {
      this.syncTasks.delete(task);
      try {
        task.run();
      } catch (error) {
        process.stderr.write(
          `bench: ${task.label}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
    for (const dir of this.dirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Best effort on the way out; the directory name says what it was.
      }
    }
    this.dirs.clear();
  }

  private hardExit(code: number): void {
    this.hardCleanup();
    process.exit(code);
  }
}
