import { expect } from 'chai';
import type { CompleterResult } from 'node:readline';
import {
  complete,
  createCompleter,
  escapeWord,
  ListingCache,
  splitWords,
  type CompletionSource,
  type NameEntry,
} from '../../../src/client/cli/completion.js';
import { argumentKind, commandNames, findCommand } from '../../../src/client/cli/shell-commands.js';
import { historyLine } from '../../../src/client/cli/shell.js';

const REMOTE: Record<string, NameEntry[]> = {
  '': [
    { name: 'payload.bin', dir: false },
    { name: 'pages', dir: true },
    { name: 'notes.txt', dir: false },
    { name: 'with  two spaces.txt', dir: false },
    { name: '.profile', dir: false },
    { name: 'latest', dir: false, link: true },
  ],
  'pages/': [
    { name: 'a.html', dir: false },
    { name: 'about', dir: true },
  ],
};

function source(overrides: Partial<CompletionSource> = {}): CompletionSource & { listed: string[] } {
  const listed: string[] = [];
  return {
    listed,
    commandNames,
    argumentKind,
    listRemote: (dir) => {
      listed.push(`remote:${dir}`);
      return Promise.resolve(REMOTE[dir] ?? []);
    },
    listLocal: (dir) => {
      listed.push(`local:${dir}`);
      return Promise.resolve([
        { name: 'local.txt', dir: false },
        { name: 'lib', dir: true },
      ]);
    },
    ...overrides,
  };
}

function callCompleter(
  completer: ReturnType<typeof createCompleter>,
  line: string,
): Promise<CompleterResult> {
  return new Promise((resolve) => {
    completer(line, (_error, result) => {
      resolve(result);
    });
  });
}

describe('cli/completion: splitWords', function () {
  it('splits on whitespace and honours quotes and backslashes', function () {
    const words = splitWords(`  get "a b.txt" 'c d' e\\ f g\\"h "x\\"y"`);
    expect(words.map((word) => word.text)).to.deep.equal(['get', 'a b.txt', 'c d', 'e f', 'g"h', 'x"y']);
    expect(words[0]?.start).to.equal(2);
    expect(words[1]?.quote).to.equal('"');
    expect(words[2]?.quote).to.equal("'");
    expect(words.every((word) => !word.open)).to.equal(true);
  });

  it('marks a word whose quote is never closed', function () {
    const words = splitWords('cd "my dir');
    expect(words.at(-1)).to.include({ text: 'my dir', open: true, quote: '"', end: 10 });
  });

  it('keeps single-quoted backslashes and reads nothing from an empty line', function () {
    expect(splitWords(`'a\\b'`).map((word) => word.text)).to.deep.equal(['a\\b']);
    expect(splitWords('   ')).to.deep.equal([]);
  });

  it('escapeWord round-trips through splitWords', function () {
    for (const name of ['plain', 'two  spaces', `quo"te's`, 'back\\slash', 'tab\there']) {
      expect(splitWords(escapeWord(name)).map((word) => word.text)).to.deep.equal([name]);
    }
  });
});

describe('cli/completion: complete', function () {
  it('completes command names and aliases in first position', async function () {
    expect(await complete('mg', source())).to.deep.equal([['mget '], 'mg']);
    const [names] = await complete('p', source());
    expect(names).to.include.members(['put', 'pwd', 'passive']);
    expect(await complete('help mp', source())).to.deep.equal([['mput '], 'mp']);
    expect(await complete('zz', source())).to.deep.equal([[], 'zz']);
  });

  it('completes a remote name from the listing of the directory typed', async function () {
    const src = source();
    expect(await complete('get pa', src)).to.deep.equal([['pages/', 'payload.bin'], 'pa']);
    expect(await complete('get pay', src)).to.deep.equal([['payload.bin '], 'pay']);
    expect(await complete('get pages/a', src)).to.deep.equal([['pages/a.html', 'pages/about/'], 'pages/a']);
    expect(src.listed).to.deep.equal(['remote:', 'remote:', 'remote:pages/']);
  });

  it('offers directories (and links) only where a directory is wanted', async function () {
    expect(await complete('cd ', source())).to.deep.equal([['latest', 'pages/'], '']);
    expect(await complete('lcd l', source())).to.deep.equal([['lib/'], 'l']);
  });

  it('hides dot names unless the prefix starts with a dot', async function () {
    const [all] = await complete('ls ', source());
    expect(all).not.to.include('.profile');
    expect(await complete('ls .p', source())).to.deep.equal([['.profile '], '.p']);
  });

  it('escapes names with spaces, or completes inside the quote the user opened', async function () {
    expect(await complete('get wi', source())).to.deep.equal([['with\\ \\ two\\ spaces.txt '], 'wi']);
    expect(await complete('get "wi', source())).to.deep.equal([['"with  two spaces.txt" '], '"wi']);
  });

  it('completes each argument by its own kind: put takes a local name, then a remote one', async function () {
    const src = source();
    expect(await complete('put lo', src)).to.deep.equal([['local.txt '], 'lo']);
    expect(await complete('put local.txt no', src)).to.deep.equal([['notes.txt '], 'no']);
    expect(src.listed).to.deep.equal(['local:', 'remote:']);
  });

  it('offers nothing for arguments that name nothing, or after an unknown command', async function () {
    const src = source();
    expect(await complete('open lo', src)).to.deep.equal([[], 'lo']);
    expect(await complete('frob pa', src)).to.deep.equal([[], 'pa']);
    expect(src.listed).to.deep.equal([]);
  });
});

describe('cli/completion: createCompleter', function () {
  it('answers "nothing" when a listing fails, even synchronously', async function () {
    const failing = createCompleter(
      source({ listRemote: () => Promise.reject(new Error('530 Not logged in')) }),
      1000,
    );
    expect(await callCompleter(failing, 'get pa')).to.deep.equal([[], '']);
    const throwing = createCompleter(
      source({
        listRemote: () => {
          throw new Error('boom');
        },
      }),
      1000,
    );
    expect(await callCompleter(throwing, 'get pa')).to.deep.equal([[], '']);
  });

  it('gives up on a listing that does not come within the timeout', async function () {
    let finish: (entries: NameEntry[]) => void = () => undefined;
    const slow = createCompleter(
      source({ listRemote: () => new Promise<NameEntry[]>((resolve) => (finish = resolve)) }),
      30,
    );
    const started = Date.now();
    expect(await callCompleter(slow, 'get pa')).to.deep.equal([[], '']);
    expect(Date.now() - started).to.be.below(1000);
    finish([]);
  });
});

describe('cli/completion: ListingCache', function () {
  it('reuses a listing for its lifetime, then lists again', async function () {
    let now = 1000;
    let loads = 0;
    const cache = new ListingCache<number>(5000, () => now);
    const load = (): Promise<number> => Promise.resolve(++loads);
    expect(await cache.get('dir', load)).to.equal(1);
    now += 4999;
    expect(await cache.get('dir', load)).to.equal(1);
    expect(await cache.get('other', load)).to.equal(2);
    now += 1;
    expect(await cache.get('dir', load)).to.equal(3);
    cache.clear();
    expect(await cache.get('dir', load)).to.equal(4);
  });

  it('does not keep a failed listing', async function () {
    const cache = new ListingCache<string>(5000);
    let attempt = 0;
    const load = (): Promise<string> =>
      ++attempt === 1 ? Promise.reject(new Error('425')) : Promise.resolve('ok');
    let failed = false;
    await cache.get('dir', load).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect(await cache.get('dir', load)).to.equal('ok');
  });
});

describe('cli/shell-commands: the command table', function () {
  it('finds commands by name and alias, case-insensitively', function () {
    expect(findCommand('GET')?.name).to.equal('get');
    expect(findCommand('bye')?.name).to.equal('quit');
    expect(findCommand('rm')?.name).to.equal('delete');
    expect(findCommand('nope')).to.equal(undefined);
  });

  it('says what each argument completes to, the last kind repeating', function () {
    expect(argumentKind('get', 0)).to.equal('remote');
    expect(argumentKind('get', 1)).to.equal('local');
    expect(argumentKind('mget', 5)).to.equal('remote');
    expect(argumentKind('mput', 3)).to.equal('local');
    expect(argumentKind('lcd', 0)).to.equal('local-dir');
    expect(argumentKind('quit', 0)).to.equal('none');
    expect(argumentKind('nope', 0)).to.equal(undefined);
  });
});

describe('cli/shell: history lines on disk', function () {
  it('drops the password of user and of URLs, and keeps everything else', function () {
    expect(historyLine('user bob s3cret')).to.equal('user bob');
    expect(historyLine('  USER bob "two words"')).to.equal('  USER bob');
    expect(historyLine('user bob')).to.equal('user bob');
    expect(historyLine('open ftp://bob:s3cret@host:21/dir')).to.equal('open ftp://bob@host:21/dir');
    expect(historyLine('open ftp://bob@host/')).to.equal('open ftp://bob@host/');
    expect(historyLine('get a:b@c')).to.equal('get a:b@c');
  });
});
