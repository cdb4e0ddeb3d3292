import type { BenchOptions, ScenarioId, ServerName } from '../options.js';
import type { Metric } from '../report.js';
import type { RunningServer } from '../servers.js';
import type { SourceFiles, Sources } from '../workspace.js';

export interface ScenarioContext {
  readonly server: RunningServer;
  /** The local directory the server serves as "/". */
  readonly root: string;
  readonly options: BenchOptions;
  /** A progress line on stderr while the run goes on. */
  readonly progress: (line: string) => void;
}

export interface ScenarioResult {
  readonly metrics: Metric[];
  readonly notes: string[];
}

export interface Scenario {
  readonly id: ScenarioId;
  title(options: BenchOptions): string;
  /** The files every server's root must hold (generated once, linked into each root). */
  sources(sources: Sources, options: BenchOptions): Promise<SourceFiles>;
  /** An upper bound for one server's run (with turns: for each turn, and for the warm-up); past it the server is stopped and the run fails. */
  timeoutMs(options: BenchOptions): number;
  /** Connections each server must admit at once (its limits are set so); 2000 when absent. */
  connections?(options: BenchOptions): number;
  /** Why a server does not run this scenario, or undefined when it does. */
  skip?(server: ServerName): string | undefined;
  /** Distinct password accounts each server must know besides the main one; 0 when absent. */
  readonly accounts?: number;
  /** "anonymous" may log in too, for a row comparing it with the password accounts. */
  readonly anonymous?: boolean;
  /** Servers start with a throw-away certificate (explicit FTPS). */
  readonly tls?: boolean;
  /** Fresh-server rounds for this server (the median is reported); 1 when absent. */
  rounds?(options: BenchOptions, server: ServerName): number;
  /**
   * Instead of rounds: every server is started once, and the servers take this many turns at
   * run(), kept running between them (the median is reported).
   */
  turns?(options: BenchOptions): number;
  /** Uncounted work on a server once it has started, before its first run(). */
  warmUp?(context: ScenarioContext): Promise<void>;
  /** One server's run (with turns: one turn). */
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
