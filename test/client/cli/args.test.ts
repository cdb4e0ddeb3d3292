import { expect } from 'chai';
import { parseCommandLine, type Command, type VerbCommand } from '../../../src/client/cli/args.js';
import { UsageError } from '../../../src/client/cli/usage-error.js';

function verb(command: Command): VerbCommand {
  if (command.kind !== 'verb') throw new Error(`expected a verb, got ${command.kind}`);
  return command;
}

describe('cli/args: parseCommandLine', function () {
  it('reads a verb, its arguments and the defaults', function () {
    expect(parseCommandLine(['get', 'ftp://h/f'])).to.deep.equal({
      kind: 'verb',
      verb: 'get',
      args: ['ftp://h/f'],
      flags: {
        mode: 'passive',
        quiet: false,
        verbose: false,
        ascii: false,
        tls: false,
        insecure: false,
        foreignDataHost: false,
      },
      resume: false,
      recursive: false,
      classify: false,
      reverse: false,
      include: [],
      exclude: [],
    });
  });

  it('takes flags before and after the verb', function () {
    const command = verb(
      parseCommandLine(['-v', 'get', 'ftp://h/f', '-o', 'out', '--ascii', '-q', '--resume']),
    );
    expect(command.flags).to.deep.equal({
      mode: 'passive',
      quiet: true,
      verbose: true,
      ascii: true,
      tls: false,
      insecure: false,
      foreignDataHost: false,
    });
    expect(command.output).to.equal('out');
    expect(command.resume).to.equal(true);
  });

  it('lets the last of --active and --passive win', function () {
    expect(verb(parseCommandLine(['ls', '--active', 'h'])).flags.mode).to.equal('active');
    expect(verb(parseCommandLine(['ls', '--active', '--passive', 'h'])).flags.mode).to.equal('passive');
    expect(verb(parseCommandLine(['--passive', 'ls', '--active', 'h'])).flags.mode).to.equal('active');
  });

  it('reads --foreign-data-host before or after the verb, for the shell too', function () {
    expect(verb(parseCommandLine(['ls', '--active', 'h', '--foreign-data-host'])).flags).to.include({
      mode: 'active',
      foreignDataHost: true,
    });
    expect(verb(parseCommandLine(['--foreign-data-host', 'shell'])).flags.foreignDataHost).to.equal(true);
    expect(() => parseCommandLine(['ls', '--foreign-data-host=yes', 'h'])).to.throw(
      UsageError,
      'option --foreign-data-host takes no value',
    );
  });

  it('keeps "-" as an argument and reads arguments after --', function () {
    expect(verb(parseCommandLine(['put', '-', 'ftp://h/x'])).args).to.deep.equal(['-', 'ftp://h/x']);
    expect(verb(parseCommandLine(['put', '--', '-odd', 'ftp://h/x'])).args).to.deep.equal([
      '-odd',
      'ftp://h/x',
    ]);
    expect(verb(parseCommandLine(['get', 'ftp://h/x', '-o', '-'])).output).to.equal('-');
  });

  it('reads the FTPS flags before or after the verb, and an ftps:// URL as the shell’s', function () {
    const command = verb(parseCommandLine(['--tls', 'get', 'ftp://h/f', '--ca', 'ca.pem', '--insecure']));
    expect(command.flags).to.include({ tls: true, ca: 'ca.pem', insecure: true });
    expect(verb(parseCommandLine(['ls', 'h'])).flags).not.to.have.property('ca');
    const shell = verb(parseCommandLine(['ftps://h/']));
    expect(shell.verb).to.equal('shell');
    expect(shell.args).to.deep.equal(['ftps://h/']);
    expect(() => parseCommandLine(['get', '--ca', 'ftp://h/f'])).to.throw(UsageError, /get takes 1 argument/);
  });

  it('reads the mirror flags', function () {
    const command = verb(
      parseCommandLine([
        'mirror',
        '-R',
        'dir',
        'ftp://h/d',
        '--include',
        '*.md',
        '--exclude',
        'a',
        '--exclude',
        'b',
        '--parallel',
        '4',
      ]),
    );
    expect(command).to.include({ verb: 'mirror', reverse: true, parallel: 4 });
    expect(command.include).to.deep.equal(['*.md']);
    expect(command.exclude).to.deep.equal(['a', 'b']);
  });

  it('knows the aliases', function () {
    expect(verb(parseCommandLine(['list', 'h'])).verb).to.equal('ls');
    expect(verb(parseCommandLine(['rename', 'h/a', 'b'])).verb).to.equal('mv');
    expect(verb(parseCommandLine(['delete', 'h/a'])).verb).to.equal('rm');
  });

  it('starts the shell with no verb, with "shell" and with an ftp:// URL first', function () {
    expect(verb(parseCommandLine([]))).to.include({ verb: 'shell' });
    expect(verb(parseCommandLine(['-v', '--active']))).to.deep.include({
      verb: 'shell',
      args: [],
      flags: {
        mode: 'active',
        quiet: false,
        verbose: true,
        ascii: false,
        tls: false,
        insecure: false,
        foreignDataHost: false,
      },
    });
    expect(verb(parseCommandLine(['shell', 'h:2121'])).args).to.deep.equal(['h:2121']);
    expect(verb(parseCommandLine(['ftp://h/dir/'])).args).to.deep.equal(['ftp://h/dir/']);
  });

  it('answers help and version', function () {
    expect(parseCommandLine(['--help'])).to.deep.equal({ kind: 'help' });
    expect(parseCommandLine(['-h'])).to.deep.equal({ kind: 'help' });
    expect(parseCommandLine(['help'])).to.deep.equal({ kind: 'help' });
    expect(parseCommandLine(['help', 'rename'])).to.deep.equal({ kind: 'help', verb: 'mv' });
    expect(parseCommandLine(['get', '--help'])).to.deep.equal({ kind: 'help', verb: 'get' });
    expect(parseCommandLine(['put', '-h', 'only', 'one'])).to.deep.equal({ kind: 'help', verb: 'put' });
    expect(parseCommandLine(['--version'])).to.deep.equal({ kind: 'version' });
  });

  const bad: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['help', 'frobnicate'], /no help for unknown command/],
    [['ls', '--bogus', 'h'], /^unknown option --bogus$/],
    [['ls', '-x', 'h'], /^unknown option -x$/],
    [['get', 'h/f', '-o'], /^option -o needs a value$/],
    [['ls', '--quiet=yes', 'h'], /^option --quiet takes no value$/],
    [['ls', '-r', 'h'], /ls does not take -r\/--recursive/],
    [['rm', '--resume', 'h/x'], /rm does not take --resume/],
    [['get', '--reverse', 'h/x'], /get does not take -R\/--reverse/],
    [['get'], /get takes 1 argument, got 0/],
    [['get', 'a', 'b'], /get takes 1 argument, got 2/],
    [['put', 'a'], /put takes 2 arguments, got 1/],
    [['shell', 'a', 'b'], /shell takes at most 1 argument, got 2/],
    [['mirror', 'h/d', 'x', '--parallel', '0'], /--parallel takes a whole number from 1 to 16/],
    [['mirror', 'h/d', 'x', '--parallel', '1.5'], /--parallel/],
    [['mirror', 'h/d', 'x', '--parallel', '17'], /--parallel/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${JSON.stringify(argv.join(' '))}`, function () {
      expect(() => parseCommandLine(argv))
        .to.throw(UsageError)
        .with.property('message')
        .that.matches(message);
    });
  }
});
