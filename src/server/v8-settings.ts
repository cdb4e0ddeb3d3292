import { setFlagsFromString } from 'node:v8';

/**
 * The V8 settings ftpkitd's figures are measured with, applied from inside the process, so that
 * `node bin/ftpkitd.js`, `npm start`, `npx ftpkitd` and a program embedding FtpServer get them as
 * the installed bin does (its `#!` line can only reach the first). docs/performance.md has the
 * measurements behind each one:
 * - the young generation stays at its first size (1 MiB a semi-space): under a burst of logins V8
 *   otherwise grows it by megabytes, which more than doubles what an idle session costs. Set at
 *   startup as --max-semi-space-size=1; from inside, the growth factor does the same.
 * - --interrupt-budget=8192: the per-command code is many short functions, which the default
 *   budget optimizes only after a few thousand transfers.
 * A setting the process was started with (command line or NODE_OPTIONS) is the operator's and is
 * left alone.
 */
const SETTINGS: readonly { flag: string; unlessGiven: readonly string[] }[] = [
  { flag: '--semi-space-growth-factor=1', unlessGiven: ['semi-space-growth-factor', 'max-semi-space-size'] },
  { flag: '--interrupt-budget=8192', unlessGiven: ['interrupt-budget'] },
];

let applied = false;

/**
 * Applies the settings once per process, as early as it can be called: the young generation keeps
 * whatever size it grew to before. FtpServer's constructor calls it (unless `v8Settings: false`);
 * a program that allocates much before it makes the server may call it first. Returns the flags
 * set (none on a second call).
 */
export function applyServerV8Settings(): string[] {
  if (applied) return [];
  applied = true;
  const flags = chooseV8Flags(process.execArgv, process.env.NODE_OPTIONS ?? '');
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}

/** The settings to apply, given the process's own command line and NODE_OPTIONS. */
export function chooseV8Flags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map(flagName);
  return SETTINGS.filter(({ unlessGiven }) => !unlessGiven.some((name) => given.includes(name))).map(
    ({ flag }) => flag,
  );
}

/** "--max_semi_space_size=1" and "--max-semi-space-size" alike give "max-semi-space-size". */
function flagName(arg: string): string {
  return (arg.replace(/^--/, '').split('=')[0] ?? '').replaceAll('_', '-');
}
