import { expect } from 'chai';
import {
  clearPeerCaches,
  findCommand,
  hasCommand,
  hasPython3Module,
  peerProblem,
  python3For,
  requirePeer,
} from '../helpers/peers.js';

class FakeSkip extends Error {}

function fakeContext(type: 'test' | 'hook'): { ctx: Mocha.Context; titles: () => string[] } {
  const tests = [{ title: 'first' }, { title: 'second' }];
  const runnable =
    type === 'test'
      ? { type, title: 'the test' }
      : { type, title: 'before all', parent: { tests, suites: [] } };
  const ctx = {
    test: runnable,
    skip(): never {
      throw new FakeSkip('skipped');
    },
  };
  return {
    ctx: ctx as unknown as Mocha.Context,
    titles: () => (type === 'test' ? [runnable.title] : tests.map((t) => t.title)),
  };
}

function withEnv(vars: Record<string, string | undefined>, fn: () => void): void {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
    }
    clearPeerCaches();
  };
  apply(vars);
  try {
    fn();
  } finally {
    apply(saved);
  }
}

describe('harness: peer detection', function () {
  it('finds commands on PATH and not made-up ones', function () {
    expect(hasCommand('sh')).to.equal(true);
    expect(findCommand('sh')).to.match(/\/sh$/);
    expect(hasCommand('ftpkit-surely-not-a-command')).to.equal(false);
  });

  it('checks python modules, and refuses anything that is not a module name', function () {
    if (python3For('ftplib') === undefined) this.skip();
    expect(hasPython3Module('ftplib')).to.equal(true);
    expect(hasPython3Module('ftpkit_no_such_module')).to.equal(false);
    expect(() => hasPython3Module('os; import sys')).to.throw(/not a module name/);
  });

  it('under CI=true a missing peer throws instead of skipping', function () {
    withEnv({ CI: 'true', FTPKIT_PYTHON3: '/nonexistent/python3' }, () => {
      expect(peerProblem('pyftpdlib')).to.match(/pyftpdlib/);
      const { ctx } = fakeContext('test');
      expect(() => {
        requirePeer(ctx, 'pyftpdlib');
      }).to.throw(/required under CI=true/);
    });
  });

  it('outside CI a missing peer skips, with the reason in the titles', function () {
    withEnv({ CI: undefined, FTPKIT_PYTHON3: '/nonexistent/python3' }, () => {
      for (const type of ['test', 'hook'] as const) {
        const { ctx, titles } = fakeContext(type);
        expect(() => {
          requirePeer(ctx, 'python3');
        }).to.throw(FakeSkip);
        for (const title of titles()) expect(title).to.match(/\(skipped: no python3 with ftplib found\)$/);
      }
    });
  });

  it('a present peer neither skips nor throws', function () {
    withEnv({ CI: 'true' }, () => {
      const { ctx, titles } = fakeContext('test');
      requirePeer(ctx, 'curl');
      expect(titles()).to.deep.equal(['the test']);
    });
  });
});
