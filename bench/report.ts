import type { ServerName } from './options.js';

export type Better = 'higher' | 'lower' | 'none';

export interface Metric {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly digits: number;
  /** Which way is good; 'none' prints no ratio (counts such as successes). */
  readonly better: Better;
  /** Shown instead of the value, with no ratio: why there is no figure ("no active mode"). */
  readonly text?: string;
}

export type Outcome =
  | { readonly kind: 'ok'; readonly metrics: readonly Metric[]; readonly notes: readonly string[] }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'skipped'; readonly reason: string };

export type ScenarioResults = Map<ServerName, Outcome>;

export function metric(
  key: string,
  label: string,
  value: number,
  unit: string,
  digits: number,
  better: Better,
): Metric {
  return { key, label, value, unit, digits, better };
}

export function findMetric(outcome: Outcome | undefined, key: string): Metric | undefined {
  return outcome?.kind === 'ok' ? outcome.metrics.find((m) => m.key === key) : undefined;
}

function formatValue(m: Metric): string {
  if (m.text !== undefined) return m.text;
  if (!Number.isFinite(m.value)) return 'n/a';
  return `${m.value.toFixed(m.digits)}${m.unit === '' ? '' : ` ${m.unit}`}`;
}

/** Our figure divided by the peer's: "x2.47". */
export function ratio(ours: number, theirs: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs)) return 'n/a';
  if (theirs === 0) return ours === 0 ? 'x1.00' : 'x∞';
  return `x${(ours / theirs).toFixed(2)}`;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - Array.from(text).length));
}

/**
 * One row per metric, one column per server: "ftpkitd 2.10 GB/s | ftp-srv 0.85 GB/s (x2.47) | ...",
 * columns aligned. Ratios are always reference/peer (ftpkitd unless told; the client bench's columns
 * are clients and its reference is ftpkit); the heading says which way is better.
 */
export function formatTable(
  title: string,
  servers: readonly string[],
  results: ReadonlyMap<string, Outcome>,
  reference = 'ftpkitd',
): string {
  const out: string[] = [`== ${title} ==`];
  const keys: Metric[] = [];
  for (const server of servers) {
    const outcome = results.get(server);
    if (outcome?.kind !== 'ok') continue;
    for (const m of outcome.metrics) if (!keys.some((k) => k.key === m.key)) keys.push(m);
  }
  const rows: string[][] = keys.map((key) => {
    const ours = findMetric(results.get(reference), key.key);
    const hint =
      key.better === 'higher' ? ' (higher is better)' : key.better === 'lower' ? ' (lower is better)' : '';
    const cells = [`${key.label}${hint}`];
    for (const server of servers) {
      const m = findMetric(results.get(server), key.key);
      if (m === undefined) {
        cells.push(`${server} -`);
        continue;
      }
      let cell = `${server} ${formatValue(m)}`;
      if (
        server !== reference &&
        ours !== undefined &&
        m.better !== 'none' &&
        m.text === undefined &&
        ours.text === undefined
      )
        cell += ` (${ratio(ours.value, m.value)})`;
      cells.push(cell);
    }
    return cells;
  });
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, Array.from(cell).length)));
  for (const row of rows) {
    const [label = '', ...cells] = row;
    const line = cells.map((cell, i) => pad(cell, widths[i + 1] ?? 0)).join(' | ');
    out.push(`  ${pad(label, widths[0] ?? 0)}  ${line}`.trimEnd());
  }
  for (const server of servers) {
    const outcome = results.get(server);
    if (outcome === undefined) continue;
    if (outcome.kind === 'failed')
      out.push(`  ${server}: FAILED: ${outcome.error.split('\n').join('\n    ')}`);
    if (outcome.kind === 'skipped') out.push(`  ${server}: skipped: ${outcome.reason}`);
    if (outcome.kind === 'ok') for (const note of outcome.notes) out.push(`  ${server}: ${note}`);
  }
  return out.join('\n');
}

export type Verdict = 'PASS' | 'FAIL' | 'not measured';

export interface TargetCheck {
  readonly target: string;
  readonly verdict: Verdict;
  readonly detail: string;
}

export function formatSummary(checks: readonly TargetCheck[]): string {
  if (checks.length === 0)
    return '== Summary against targets ==\n  (no target applies to the scenarios that ran)';
  const width = Math.max(...checks.map((c) => c.verdict.length));
  return [
    '== Summary against targets ==',
    ...checks.map((c) => `  ${pad(c.verdict, width)}  ${c.target}: ${c.detail}`),
  ].join('\n');
}
