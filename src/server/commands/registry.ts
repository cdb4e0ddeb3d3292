import type { CommandContext } from './context.js';

/**
 * One FTP command as data: the session checks login, argument and permission rules in one place
 * before the handler runs, and FEAT and HELP are derived from these entries so they cannot drift.
 */
export interface CommandSpec {
  verb: string;
  aliases?: readonly string[];
  /** Default true: only USER, PASS, QUIT, FEAT, SYST, HELP, NOOP, AUTH, PBSZ, PROT work before login. */
  needsLogin?: boolean;
  /** 'none' ignores a stray argument, as vsftpd does; 'required' answers 501 without one. */
  arg: 'none' | 'optional' | 'required';
  /** Refused with 550 for read-only accounts. */
  needsWrite?: boolean;
  /** Moves data: refused with 425 unless PORT/EPRT/PASV/EPSV prepared a connection. */
  needsDataChannel?: boolean;
  /** Handled at once even while a transfer runs (ABOR, STAT, QUIT). */
  duringTransfer?: boolean;
  /** FEAT line(s), without the leading space; a function may leave the command out (undefined). */
  feat?: string | ((ctx: CommandContext) => string | undefined);
  /** Syntax shown by HELP VERB. */
  syntax: string;
  handler: (ctx: CommandContext, arg: string) => Promise<void> | void;
}

export class CommandRegistry {
  private readonly byVerb = new Map<string, CommandSpec>();
  readonly specs: readonly CommandSpec[];

  constructor(specs: readonly CommandSpec[]) {
    this.specs = specs;
    for (const spec of specs) {
      for (const verb of [spec.verb, ...(spec.aliases ?? [])]) {
        if (this.byVerb.has(verb)) throw new Error(`Duplicate FTP command ${verb}`);
        this.byVerb.set(verb, spec);
      }
    }
  }

  get(verb: string): CommandSpec | undefined {
    return this.byVerb.get(verb);
  }

  /** All verbs and aliases, sorted, for HELP. */
  verbs(): string[] {
    return [...this.byVerb.keys()].sort();
  }

  features(ctx: CommandContext): string[] {
    const lines = new Set<string>();
    for (const spec of this.specs) {
      if (spec.feat === undefined) continue;
      const line = typeof spec.feat === 'string' ? spec.feat : spec.feat(ctx);
      if (line !== undefined) lines.add(line);
    }
    return [...lines].sort();
  }
}
