import { expect } from 'chai';
import { findNetrcEntry, parseNetrc } from '../../../src/client/cli/netrc.js';

describe('cli/netrc: parseNetrc', function () {
  it('reads machine blocks with tokens on one line', function () {
    expect(parseNetrc('machine a.example login alice password s3cret\n')).to.deep.equal([
      { machine: 'a.example', login: 'alice', password: 's3cret' },
    ]);
  });

  it('reads tokens spread over many lines and mixed with tabs', function () {
    const text = 'machine\n  b.example\n\tlogin bob\n\n  password\n  pw2 account acct\n';
    expect(parseNetrc(text)).to.deep.equal([
      { machine: 'b.example', login: 'bob', password: 'pw2', account: 'acct' },
    ]);
  });

  it('reads several machines and the default block', function () {
    const text =
      'machine a login a1 password p1\nmachine b login b1\ndefault login anonymous password me@x\n';
    expect(parseNetrc(text)).to.deep.equal([
      { machine: 'a', login: 'a1', password: 'p1' },
      { machine: 'b', login: 'b1' },
      { login: 'anonymous', password: 'me@x' },
    ]);
  });

  it('reads double-quoted values with spaces and escapes', function () {
    const text = 'machine h login "the user" password "p4ss word \\"quoted\\" back\\\\slash"\n';
    expect(parseNetrc(text)).to.deep.equal([
      { machine: 'h', login: 'the user', password: 'p4ss word "quoted" back\\slash' },
    ]);
  });

  it('skips a macdef body up to the first empty line', function () {
    const text =
      'machine a login a1 password p1\n' +
      'macdef init\ncd /pub\nmachine evil login x password y\nbinary\n\n' +
      'machine b login b1 password p2\n';
    expect(parseNetrc(text)).to.deep.equal([
      { machine: 'a', login: 'a1', password: 'p1' },
      { machine: 'b', login: 'b1', password: 'p2' },
    ]);
  });

  it('skips a macdef that runs to the end of the file', function () {
    expect(parseNetrc('machine a login x\nmacdef m\nmachine b login y\n')).to.deep.equal([
      { machine: 'a', login: 'x' },
    ]);
  });

  it('skips comments, unknown keywords and credentials outside any block', function () {
    const text =
      '# my hosts\nlogin stray password nope\nmachine a # the box\n port 21 login a1 password p#1\n';
    expect(parseNetrc(text)).to.deep.equal([{ machine: 'a', login: 'a1', password: 'p#1' }]);
  });

  it('never throws on a truncated or odd file', function () {
    expect(parseNetrc('')).to.deep.equal([]);
    expect(parseNetrc('machine')).to.deep.equal([]);
    expect(parseNetrc('machine a login')).to.deep.equal([{ machine: 'a' }]);
    expect(parseNetrc('machine a password "unterminated')).to.deep.equal([
      { machine: 'a', password: 'unterminated' },
    ]);
    expect(parseNetrc('machine a login x\r\npassword y\r\n')).to.deep.equal([
      { machine: 'a', login: 'x', password: 'y' },
    ]);
  });
});

describe('cli/netrc: findNetrcEntry', function () {
  const entries = parseNetrc(
    'default login anon password d\n' +
      'machine Files.Example login alice password pa\n' +
      'machine files.example login bob password pb\n' +
      'machine open.example password po\n',
  );

  it('matches the host case-insensitively, first block first', function () {
    expect(findNetrcEntry(entries, 'files.example')).to.include({ login: 'alice', password: 'pa' });
  });

  it('prefers a machine block over default wherever default stands', function () {
    expect(findNetrcEntry(entries, 'FILES.EXAMPLE')?.login).to.equal('alice');
  });

  it('picks the block for the given user', function () {
    expect(findNetrcEntry(entries, 'files.example', 'bob')).to.include({ password: 'pb' });
  });

  it('lets a block without a login serve any user', function () {
    expect(findNetrcEntry(entries, 'open.example', 'carol')).to.include({ password: 'po' });
  });

  it('falls back to default for an unknown host or user', function () {
    expect(findNetrcEntry(entries, 'other.example')).to.include({ login: 'anon' });
    expect(findNetrcEntry(entries, 'files.example', 'anon')).to.include({ password: 'd' });
  });

  it('finds nothing without a default', function () {
    expect(findNetrcEntry(parseNetrc('machine a login x'), 'b')).to.equal(undefined);
    expect(findNetrcEntry(parseNetrc('machine a login x'), 'a', 'y')).to.equal(undefined);
  });
});
