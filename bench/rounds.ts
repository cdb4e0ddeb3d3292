import type { Metric, Outcome } from './report.js';
import { median } from './stats.js';

/**
 * One outcome from a server's rounds of a scenario: each figure the median over the rounds, every
 * round's notes (once each; one that not every round gave names its rounds), and a note with
 * every round's figure. A round that failed or was skipped stands for them all.
 */
export function combineRounds(rounds: readonly Outcome[]): Outcome {
  const first = rounds[0];
  if (first === undefined) return { kind: 'skipped', reason: 'not run' };
  const problem = rounds.find((outcome) => outcome.kind !== 'ok');
  if (problem !== undefined) return problem;
  if (rounds.length === 1 || first.kind !== 'ok') return first;
  const valuesOf = (key: string): number[] =>
    rounds.flatMap((outcome) =>
      outcome.kind === 'ok' ? outcome.metrics.filter((m) => m.key === key).map((m) => m.value) : [],
    );
  const metrics: Metric[] = first.metrics.map((m) =>
    m.text === undefined ? { ...m, value: median(valuesOf(m.key)) } : m,
  );
  const perRound = first.metrics
    .filter((m) => m.text === undefined)
    .map(
      (m) =>
        `${m.label} ${valuesOf(m.key)
          .map((v) => v.toFixed(m.digits))
          .join(' / ')} ${m.unit}`,
    );
  return {
    kind: 'ok',
    metrics,
    notes: [...mergeNotes(rounds), `median of ${rounds.length} rounds; per round: ${perRound.join('; ')}`],
  };
}

function mergeNotes(rounds: readonly Outcome[]): string[] {
  const seen = new Map<string, number[]>();
  rounds.forEach((outcome, index) => {
    for (const note of outcome.kind === 'ok' ? outcome.notes : [])
      seen.set(note, [...(seen.get(note) ?? []), index + 1]);
  });
  return [...seen].map(([note, where]) =>
    where.length === rounds.length
      ? note
      : `${note} (round${where.length > 1 ? 's' : ''} ${where.join(', ')})`,
  );
}

/** Round r's server order: as given, then reversed, and so on, so that no server always goes first. */
export function roundOrder<T>(servers: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...servers] : [...servers].reverse();
}
