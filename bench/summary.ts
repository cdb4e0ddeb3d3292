import type { ScenarioId, ServerName } from './options.js';
import { findMetric, ratio, type ScenarioResults, type TargetCheck } from './report.js';
import { LARGE_MODES } from './scenarios/large.js';

type AllResults = ReadonlyMap<ScenarioId, ScenarioResults>;

function largeChecks(results: AllResults): TargetCheck[] {
  const large = results.get('large');
  return LARGE_MODES.map((mode) => {
    const target = `large ${mode.label} >= 1.5x ftp-srv`;
    const ours = findMetric(large?.get('ftpkitd'), mode.key);
    const theirs = findMetric(large?.get('ftp-srv'), mode.key);
    if (ours === undefined || theirs === undefined)
      return { target, verdict: 'not measured', detail: 'needs ftpkitd and ftp-srv' };
    return {
      target,
      verdict: ours.value >= 1.5 * theirs.value ? 'PASS' : 'FAIL',
      detail: `${ours.value.toFixed(2)} vs ${theirs.value.toFixed(2)} GB/s (${ratio(ours.value, theirs.value)})`,
    };
  });
}

/**
 * ftpkitd's figure against `factor` times a peer's: at least that (`higher`) or at most (`lower`).
 * "not measured" unless both ran; FAIL when ftpkitd's run failed.
 */
function versus(
  results: AllResults,
  id: ScenarioId,
  key: string,
  peer: ServerName,
  factor: number,
  better: 'higher' | 'lower',
  target: string,
  unit: string,
  digits: number,
): TargetCheck {
  const outcome = results.get(id)?.get('ftpkitd');
  const ours = findMetric(outcome, key);
  const theirs = findMetric(results.get(id)?.get(peer), key);
  if (ours === undefined)
    return { target, verdict: outcome?.kind === 'failed' ? 'FAIL' : 'not measured', detail: 'needs ftpkitd' };
  if (theirs === undefined) return { target, verdict: 'not measured', detail: `needs ${peer}` };
  const pass =
    better === 'higher' ? ours.value >= factor * theirs.value : ours.value <= factor * theirs.value;
  return {
    target,
    verdict: pass ? 'PASS' : 'FAIL',
    detail: `${ours.value.toFixed(digits)} vs ${theirs.value.toFixed(digits)} ${unit} (${ratio(ours.value, theirs.value)})`,
  };
}

/**
 * Downloads: within 0.9x of pyftpdlib's sendfile() rate (the 1.5x ftp-srv is in largeChecks), at
 * no more server CPU per GiB than the buffered path (ftpkitd-buffers, when named in --servers).
 */
function sendfileChecks(results: AllResults): TargetCheck[] {
  return LARGE_MODES.filter((mode) => !mode.upload).flatMap((mode) => [
    versus(
      results,
      'large',
      mode.key,
      'pyftpdlib',
      0.9,
      'higher',
      `large ${mode.label} >= 0.9x pyftpdlib`,
      'GB/s',
      2,
    ),
    versus(
      results,
      'large',
      `${mode.key}-cpu`,
      'ftpkitd-buffers',
      1,
      'lower',
      `large ${mode.label} server CPU/GiB <= ftpkitd --no-sendfile`,
      's/GiB',
      2,
    ),
  ]);
}

function loginChecks(results: AllResults): TargetCheck[] {
  return [
    versus(
      results,
      'login',
      'repeat-p50',
      'pyftpdlib',
      3,
      'lower',
      'repeat password login p50 within 3x of pyftpdlib (plain dict)',
      'ms',
      2,
    ),
  ];
}

function zeroFailures(results: AllResults, id: ScenarioId, target: string): TargetCheck {
  const outcome = results.get(id)?.get('ftpkitd');
  const ok = findMetric(outcome, 'ok');
  const failed = findMetric(outcome, 'failed');
  if (ok === undefined || failed === undefined)
    return { target, verdict: outcome?.kind === 'failed' ? 'FAIL' : 'not measured', detail: 'needs ftpkitd' };
  return {
    target,
    verdict: failed.value === 0 && ok.value === 200 ? 'PASS' : 'FAIL',
    detail: `${ok.value} ok, ${failed.value} failed`,
  };
}

/** `concurrency`: the account's first login is in the burst; `concurrency-known`: it logged in before. */
function concurrencyChecks(results: AllResults, id: 'concurrency' | 'concurrency-known'): TargetCheck[] {
  const who =
    id === 'concurrency' ? '200 sessions of one account' : '200 sessions of one account logged in before';
  return [
    zeroFailures(results, id, `${who} at once, zero failures`),
    versus(results, id, 'wall', 'ftp-srv', 1, 'lower', `${who}: wall time <= ftp-srv`, 's', 2),
    versus(results, id, 'peak-rss', 'ftp-srv', 1, 'lower', `${who}: peak RSS <= ftp-srv`, 'MiB', 1),
  ];
}

/** The peak may exceed the RSS before the sessions (a fresh server) by at most 80 MiB. */
function accountsChecks(results: AllResults): TargetCheck[] {
  const id = 'concurrency-accounts';
  const target = '200 first logins of 200 accounts at once: peak RSS <= startup + 80 MiB';
  const outcome = results.get(id)?.get('ftpkitd');
  const growth = findMetric(outcome, 'rss-growth');
  const peak = findMetric(outcome, 'peak-rss');
  const memory: TargetCheck =
    growth === undefined || peak === undefined
      ? { target, verdict: outcome?.kind === 'failed' ? 'FAIL' : 'not measured', detail: 'needs ftpkitd' }
      : {
          target,
          verdict: growth.value <= 80 ? 'PASS' : 'FAIL',
          detail: `peak ${peak.value.toFixed(1)} MiB, ${growth.value.toFixed(1)} MiB above startup`,
        };
  return [zeroFailures(results, id, '200 first logins of 200 accounts at once, zero failures'), memory];
}

function smallChecks(results: AllResults): TargetCheck[] {
  const small = results.get('small');
  return (
    [
      ['down', 'download'],
      ['up', 'upload'],
    ] as const
  ).map(([key, label]) => {
    const target = `small files ${label} >= vsftpd`;
    const ours = findMetric(small?.get('ftpkitd'), key);
    const theirs = findMetric(small?.get('vsftpd'), key);
    if (ours === undefined || theirs === undefined)
      return { target, verdict: 'not measured', detail: 'needs ftpkitd and vsftpd' };
    return {
      target,
      verdict: ours.value >= theirs.value ? 'PASS' : 'FAIL',
      detail: `${ours.value.toFixed(0)} vs ${theirs.value.toFixed(0)} files/s (${ratio(ours.value, theirs.value)})`,
    };
  });
}

/** Against vsftpd over TLS: throughput within 1.3x of its (both are bound by OpenSSL's AES), small files at or above. */
function tlsChecks(results: AllResults): TargetCheck[] {
  const tls = results.get('tls');
  const compare = (key: string, label: string, least: number, unit: string, digits: number): TargetCheck => {
    const target = least === 1 ? `TLS ${label} >= vsftpd` : `TLS ${label} within 1.3x of vsftpd`;
    const ours = findMetric(tls?.get('ftpkitd'), key);
    const theirs = findMetric(tls?.get('vsftpd'), key);
    if (ours === undefined || theirs === undefined)
      return { target, verdict: 'not measured', detail: 'needs ftpkitd and vsftpd' };
    return {
      target,
      verdict: ours.value >= least * theirs.value ? 'PASS' : 'FAIL',
      detail: `${ours.value.toFixed(digits)} vs ${theirs.value.toFixed(digits)} ${unit} (${ratio(ours.value, theirs.value)})`,
    };
  };
  return [
    ...LARGE_MODES.map((mode) => compare(`tls-${mode.key}`, mode.label, 1 / 1.3, 'GB/s', 2)),
    compare('tls-small-down', 'small files download', 1, 'files/s', 0),
    compare('tls-small-up', 'small files upload', 1, 'files/s', 0),
  ];
}

function memoryCheck(results: AllResults): TargetCheck {
  const target = 'RSS per idle password session <= 10 KiB';
  const outcome = results.get('memory')?.get('ftpkitd');
  const per = findMetric(outcome, 'per-session');
  if (per === undefined)
    return { target, verdict: outcome?.kind === 'failed' ? 'FAIL' : 'not measured', detail: 'needs ftpkitd' };
  return {
    target,
    verdict: per.value <= 10 ? 'PASS' : 'FAIL',
    detail: `${per.value.toFixed(1)} KiB (RSS growth / 500)`,
  };
}

function idleCheck(results: AllResults): TargetCheck {
  const outcome = results.get('idle')?.get('ftpkitd');
  const answered = findMetric(outcome, 'answered');
  const failed = findMetric(outcome, 'failed');
  const per = findMetric(outcome, 'per-session');
  const target = 'every idle session answers NOOP, <= 10 KiB each';
  if (answered === undefined || failed === undefined || per === undefined)
    return { target, verdict: outcome?.kind === 'failed' ? 'FAIL' : 'not measured', detail: 'needs ftpkitd' };
  return {
    target,
    verdict: failed.value === 0 && per.value <= 10 ? 'PASS' : 'FAIL',
    detail: `${answered.value} answered, ${failed.value} failed, ${per.value.toFixed(1)} KiB each`,
  };
}

function soakCheck(results: AllResults): TargetCheck {
  const outcome = results.get('soak')?.get('ftpkitd');
  const errors = findMetric(outcome, 'errors');
  const first = findMetric(outcome, 'mem-first');
  const last = findMetric(outcome, 'mem-last');
  const halfWritten = findMetric(outcome, 'half-written');
  const alive = findMetric(outcome, 'alive');
  const target = 'soak: zero errors, memory flat (end <= 1.5x the first sample), nothing half-written';
  if (
    errors === undefined ||
    first === undefined ||
    last === undefined ||
    halfWritten === undefined ||
    alive === undefined
  )
    return { target, verdict: outcome?.kind === 'failed' ? 'FAIL' : 'not measured', detail: 'needs ftpkitd' };
  const pass =
    errors.value === 0 && last.value <= 1.5 * first.value && halfWritten.value === 0 && alive.value === 1;
  return {
    target,
    verdict: pass ? 'PASS' : 'FAIL',
    detail: `${errors.value} errors, ${first.value.toFixed(1)} -> ${last.value.toFixed(1)} MiB, ${halfWritten.value} half-written, alive: ${alive.text ?? ''}`,
  };
}

/** ftpkitd on S3 against the SDK alone on the same engine: large >= 0.8x, small files >= 0.5x. */
function s3Checks(results: AllResults): TargetCheck[] {
  const outcome = results.get('s3')?.get('ftpkitd');
  return (
    [
      ['retr', 'RETR', 0.8, 'GB/s', 2],
      ['stor', 'STOR', 0.8, 'GB/s', 2],
      ['small-down', 'small files RETR', 0.5, 'files/s', 0],
      ['small-up', 'small files STOR', 0.5, 'files/s', 0],
    ] as const
  ).map(([key, label, least, unit, digits]) => {
    const target = `S3 ${label} >= ${least}x the SDK alone`;
    const ours = findMetric(outcome, key);
    const ceiling = findMetric(outcome, `${key}-sdk`);
    if (ours === undefined || ceiling === undefined)
      return {
        target,
        verdict: outcome?.kind === 'failed' ? 'FAIL' : 'not measured',
        detail: 'needs ftpkitd and Swift',
      };
    return {
      target,
      verdict: ours.value >= least * ceiling.value ? 'PASS' : 'FAIL',
      detail: `${ours.value.toFixed(digits)} vs ${ceiling.value.toFixed(digits)} ${unit} (${ratio(ours.value, ceiling.value)})`,
    };
  });
}

/** The targets ftpkitd is held to, checked against what was measured. */
export function checkTargets(results: AllResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (results.has('large')) checks.push(...largeChecks(results), ...sendfileChecks(results));
  if (results.has('small')) checks.push(...smallChecks(results));
  if (results.has('concurrency')) checks.push(...concurrencyChecks(results, 'concurrency'));
  if (results.has('concurrency-known')) checks.push(...concurrencyChecks(results, 'concurrency-known'));
  if (results.has('concurrency-accounts')) checks.push(...accountsChecks(results));
  if (results.has('login')) checks.push(...loginChecks(results));
  if (results.has('memory')) checks.push(memoryCheck(results));
  if (results.has('s3')) checks.push(...s3Checks(results));
  if (results.has('idle')) checks.push(idleCheck(results));
  if (results.has('soak')) checks.push(soakCheck(results));
  if (results.has('tls')) checks.push(...tlsChecks(results));
  return checks;
}
