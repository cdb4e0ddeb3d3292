import { expect } from 'chai';
import type { ScenarioId, ServerName } from '../../bench/options.js';
import { metric, type Metric, type Outcome, type ScenarioResults } from '../../bench/report.js';
import { checkTargets } from '../../bench/summary.js';

function ok(...metrics: Metric[]): Outcome {
  return { kind: 'ok', metrics, notes: [] };
}

function results(entries: [ScenarioId, [ServerName, Outcome][]][]): Map<ScenarioId, ScenarioResults> {
  return new Map(entries.map(([id, servers]) => [id, new Map(servers)]));
}

function verdict(checks: ReturnType<typeof checkTargets>, start: string): string | undefined {
  return checks.find((check) => check.target.startsWith(start))?.verdict;
}

describe('bench/summary', () => {
  it('holds the repeat login p50 to 3x pyftpdlib', () => {
    const p50 = (value: number): Outcome => ok(metric('repeat-p50', 'repeat', value, 'ms', 2, 'lower'));
    const pass = checkTargets(
      results([
        [
          'login',
          [
            ['ftpkitd', p50(0.75)],
            ['pyftpdlib', p50(0.25)],
          ],
        ],
      ]),
    );
    expect(verdict(pass, 'repeat password login')).to.equal('PASS');
    const fail = checkTargets(
      results([
        [
          'login',
          [
            ['ftpkitd', p50(0.76)],
            ['pyftpdlib', p50(0.25)],
          ],
        ],
      ]),
    );
    expect(verdict(fail, 'repeat password login')).to.equal('FAIL');
    const alone = checkTargets(results([['login', [['ftpkitd', p50(0.1)]]]]));
    expect(verdict(alone, 'repeat password login')).to.equal('not measured');
  });

  it('holds 200 sessions of one account to zero failures and to ftp-srv time and peak RSS', () => {
    const run = (failed: number, wall: number, peak: number): Outcome =>
      ok(
        metric('ok', 'ok', 200 - failed, '', 0, 'none'),
        metric('failed', 'failed', failed, '', 0, 'none'),
        metric('wall', 'wall', wall, 's', 2, 'lower'),
        metric('peak-rss', 'peak', peak, 'MiB', 1, 'lower'),
      );
    const checks = checkTargets(
      results([
        [
          'concurrency',
          [
            ['ftpkitd', run(0, 0.5, 150)],
            ['ftp-srv', run(0, 0.6, 140)],
          ],
        ],
      ]),
    );
    expect(verdict(checks, '200 sessions of one account at once')).to.equal('PASS');
    expect(verdict(checks, '200 sessions of one account: wall')).to.equal('PASS');
    expect(verdict(checks, '200 sessions of one account: peak RSS')).to.equal('FAIL');
    const failing = checkTargets(results([['concurrency', [['ftpkitd', run(3, 0.5, 100)]]]]));
    expect(verdict(failing, '200 sessions of one account at once')).to.equal('FAIL');
  });

  it('allows 200 first logins at most 80 MiB above the RSS before them', () => {
    const run = (growth: number): Outcome =>
      ok(
        metric('ok', 'ok', 200, '', 0, 'none'),
        metric('failed', 'failed', 0, '', 0, 'none'),
        metric('peak-rss', 'peak', 60 + growth, 'MiB', 1, 'lower'),
        metric('rss-growth', 'growth', growth, 'MiB', 1, 'lower'),
      );
    const check = (growth: number): string | undefined =>
      verdict(
        checkTargets(results([['concurrency-accounts', [['ftpkitd', run(growth)]]]])),
        '200 first logins of 200 accounts at once: peak',
      );
    expect(check(80)).to.equal('PASS');
    expect(check(80.5)).to.equal('FAIL');
  });

  it('wants downloads within 0.9x of pyftpdlib, and says so only for RETR', () => {
    const rate = (passive: number, active: number): Outcome =>
      ok(
        metric('retr-passive', 'RETR passive', passive, 'GB/s', 2, 'higher'),
        metric('retr-active', 'RETR active', active, 'GB/s', 2, 'higher'),
      );
    const checks = checkTargets(
      results([
        [
          'large',
          [
            ['ftpkitd', rate(1.8, 1.0)],
            ['pyftpdlib', rate(2.0, 1.2)],
          ],
        ],
      ]),
    );
    expect(verdict(checks, 'large RETR passive >= 0.9x pyftpdlib')).to.equal('PASS');
    expect(verdict(checks, 'large RETR active >= 0.9x pyftpdlib')).to.equal('FAIL');
    expect(
      checks.some((check) => check.target.startsWith('large STOR') && check.target.includes('pyftpdlib')),
    ).to.equal(false);
  });

  it('fails a target whose ftpkitd run failed', () => {
    const checks = checkTargets(results([['login', [['ftpkitd', { kind: 'failed', error: 'boom' }]]]]));
    expect(verdict(checks, 'repeat password login')).to.equal('FAIL');
  });
});
