import { findMetric, ratio, type Outcome, type TargetCheck } from '../report.js';
import { CASES } from './cases.js';
import type { ClientName } from './job.js';
import type { Group } from './options.js';

export type GroupResults = ReadonlyMap<Group, ReadonlyMap<ClientName, Outcome>>;

/** Metric keys shared by the tables and the targets. */
export const rateKey = (caseKey: string): string => `${caseKey}:rate`;
export const cpuKey = (caseKey: string): string => `${caseKey}:cpu`;

function check(
  target: string,
  results: GroupResults,
  group: Group,
  key: string,
  pass: (ours: number, theirs: number) => boolean,
  unit: string,
): TargetCheck {
  const table = results.get(group);
  const ours = findMetric(table?.get('ftpkit'), key);
  const theirs = findMetric(table?.get('basic-ftp'), key);
  if (ours?.text !== undefined || theirs?.text !== undefined) {
    return {
      target,
      verdict: 'FAIL',
      detail: `ftpkit ${ours?.text ?? '-'}, basic-ftp ${theirs?.text ?? '-'}`,
    };
  }
  if (ours === undefined || theirs === undefined) {
    return { target, verdict: 'not measured', detail: 'needs ftpkit and basic-ftp' };
  }
  return {
    target,
    verdict: pass(ours.value, theirs.value) ? 'PASS' : 'FAIL',
    detail: `${ours.value.toFixed(ours.digits)} vs ${theirs.value.toFixed(theirs.digits)} ${unit} (${ratio(ours.value, theirs.value)})`,
  };
}

/**
 * The client's targets against basic-ftp: large transfers at least 1.3x its throughput at no more
 * CPU per GiB, small files at least its rate. basic-ftp has no active mode, so only passive counts.
 */
export function checkClientTargets(results: GroupResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const item of CASES) {
    if (!results.has(item.group) || item.mode !== 'passive') continue;
    if (item.group === 'large') {
      checks.push(
        check(
          `${item.label} >= 1.3x basic-ftp`,
          results,
          'large',
          rateKey(item.key),
          (a, b) => a >= 1.3 * b,
          'GB/s',
        ),
        check(
          `${item.label} CPU/GiB <= basic-ftp`,
          results,
          'large',
          cpuKey(item.key),
          (a, b) => a <= b,
          's/GiB',
        ),
      );
    } else {
      checks.push(
        check(`${item.label} >= basic-ftp`, results, 'small', rateKey(item.key), (a, b) => a >= b, 'files/s'),
      );
    }
  }
  return checks;
}
