import { expect } from 'chai';
import { SyntaxErrorInArgs } from '../../../src/protocol/errors.js';
import { MAX_PATTERN_LENGTH, namePattern } from '../../../src/server/fs/name-pattern.js';

/** The names of `names` that `pattern` matches (hidden names by the shell rule unless told). */
function matching(pattern: string, names: readonly string[], matchHidden = false): string[] {
  const matches = namePattern(pattern, { matchHidden });
  if (matches === undefined) throw new Error(`${pattern} is not a pattern`);
  return names.filter((name) => matches(name));
}

describe('server name patterns', function () {
  it('tells patterns from plain names: an unbalanced "[" is an ordinary character', function () {
    for (const plain of [
      'a.txt',
      '',
      'with space',
      '[',
      'a[b',
      '[]',
      '[!]',
      'x]',
      'back\\slash',
      '{a,b}.txt',
    ]) {
      expect(namePattern(plain, { matchHidden: false }), plain).to.equal(undefined);
    }
    for (const pattern of ['*', '?', '*.txt', 'a?c', '[ab]', '[!a]x', '[]]', '[*]', 'a[b*']) {
      expect(namePattern(pattern, { matchHidden: false }), pattern).to.be.a('function');
    }
  });

  it('"*" matches any run of characters, "?" exactly one (a whole character, not a UTF-16 half)', function () {
    const names = ['a.txt', 'ab.txt', '.txt.bak', 'b.txt', 'notes.TXT', 'txt', 'émoji 😀.txt', 'x😀y'];
    expect(matching('*.txt', names)).to.deep.equal(['a.txt', 'ab.txt', 'b.txt', 'émoji 😀.txt']);
    expect(matching('?.txt', names)).to.deep.equal(['a.txt', 'b.txt']);
    expect(matching('x?y', names)).to.deep.equal(['x😀y']);
    expect(matching('*', ['', 'a'])).to.deep.equal(['', 'a']);
    expect(matching('a*b*c', ['abc', 'aXbYc', 'acb', 'abcab', 'abcabc'])).to.deep.equal([
      'abc',
      'aXbYc',
      'abcabc',
    ]);
    expect(matching('**x', ['x', 'ax', 'xa'])).to.deep.equal(['x', 'ax']);
  });

  it('brackets: sets, ranges, negation with "!" or "^", and "]" or "-" taken literally where shells do', function () {
    const names = ['a1', 'b1', 'c1', 'z1', '-1', ']1', '*1', '!1'];
    expect(matching('[ab]1', names)).to.deep.equal(['a1', 'b1']);
    expect(matching('[a-c]1', names)).to.deep.equal(['a1', 'b1', 'c1']);
    expect(matching('[!a-c]1', names)).to.deep.equal(['z1', '-1', ']1', '*1', '!1']);
    expect(matching('[^a-c]1', names)).to.deep.equal(['z1', '-1', ']1', '*1', '!1']);
    expect(matching('[]a]1', names)).to.deep.equal(['a1', ']1']);
    expect(matching('[a-]1', names)).to.deep.equal(['a1', '-1']);
    expect(matching('[*]1', names)).to.deep.equal(['*1']);
    expect(matching('[!!]1', names)).not.to.include('!1');
    // An unclosed "[" stays a character of its own while the rest is still a pattern.
    expect(matching('[*', ['[x.txt', 'x.txt', '['])).to.deep.equal(['[x.txt', '[']);
  });

  it('matches case-sensitively and takes every other character literally', function () {
    expect(matching('*.txt', ['A.TXT', 'a.txt'])).to.deep.equal(['a.txt']);
    expect(matching('(a|b)+.*', ['(a|b)+.x', 'a.x'])).to.deep.equal(['(a|b)+.x']);
    expect(matching('\\*', ['\\x', 'x'])).to.deep.equal(['\\x']);
  });

  it('hides dot names from wildcards unless the pattern starts with a dot or hidden names are asked for', function () {
    const names = ['.profile', '.c.txt', 'c.txt', '..x'];
    expect(matching('*', names)).to.deep.equal(['c.txt']);
    expect(matching('?*', names)).to.deep.equal(['c.txt']);
    expect(matching('[.]*', names)).to.deep.equal([]);
    expect(matching('.*', names)).to.deep.equal(['.profile', '.c.txt', '..x']);
    expect(matching('*.txt', names, true)).to.deep.equal(['.c.txt', 'c.txt']);
  });

  it('stays linear on patterns that make backtracking matchers explode', function () {
    const name = 'a'.repeat(200);
    const pattern = `${'*a'.repeat(60)}b`;
    const matches = namePattern(pattern, { matchHidden: false });
    expect(matches?.(name)).to.equal(false);
    expect(matches?.(`${name}b`)).to.equal(true);
  });

  it(`refuses a pattern longer than ${MAX_PATTERN_LENGTH} characters with a 501`, function () {
    expect(namePattern('*'.repeat(MAX_PATTERN_LENGTH), { matchHidden: false })).to.be.a('function');
    expect(() => namePattern('*'.repeat(MAX_PATTERN_LENGTH + 1), { matchHidden: false }))
      .to.throw(SyntaxErrorInArgs)
      .with.property('replyCode', 501);
  });
});
