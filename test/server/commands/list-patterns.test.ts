// NLST, LIST, MLSD and STAT with shell patterns in the last path component, over a raw control
// connection: what `mget *.txt` in the classic clients sends, and what vsftpd 3 answers to it.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RawControl } from '../../helpers/raw-control.js';
import { PASSWORD, USER, startServer, type TestServer } from '../../helpers/start-server.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

interface Listing {
  /** The final reply (226 or an error) or the refusal in place of 150. */
  code: number;
  text: string;
  lines: string[];
}

/** Runs one listing command over a passive data connection and collects its lines. */
async function listing(control: RawControl, host: string, line: string): Promise<Listing> {
  const data = await control.passive(host);
  const first = await control.command(line);
  if (first.code !== 150) {
    data.socket.destroy();
    return { code: first.code, text: first.text, lines: [] };
  }
  const body = (await data.data).toString();
  const done = await control.read();
  return { code: done.code, text: done.text, lines: body.split('\r\n').filter((l) => l !== '') };
}

/** The names at the end of LIST lines. */
const listedNames = (lines: readonly string[]): string[] =>
  lines.map((line) => /^\S+\s+\d+\s+\S+\s+\S+\s+\d+\s+\w{3}\s+\d+\s+\S+ (.*)$/.exec(line)?.[1] ?? line);

describe('server listings with shell patterns', function () {
  let parent: TempDir;
  let server: TestServer;
  let control: RawControl;
  let root: string;

  beforeEach(async function () {
    parent = await makeTempDir('list-patterns');
    // Beside the served root: what an escape via ".." would show.
    await writeFile(join(parent.path, 'outside.txt'), 'secret');
    root = join(parent.path, 'root');
    await mkdir(join(root, 'dir'), { recursive: true });
    const files: Record<string, string> = {
      'a.txt': 'a',
      'b.txt': 'b',
      '.c.txt': 'hidden',
      'a*.txt': 'a literal star',
      '[x.txt': 'an open bracket',
      'notes.bin': 'binary',
      'dir/d.txt': 'd',
      'dir/e.txt': 'e',
      'dir/x.bin': 'x',
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(root, name), text);
    server = await startServer({ root });
    control = await RawControl.connect(server.host, server.port);
    await control.login(USER, PASSWORD);
  });

  afterEach(async function () {
    await control.close();
    await server.close();
    await parent.remove();
  });

  const nlst = async (arg: string): Promise<Listing> => listing(control, server.host, `NLST ${arg}`);

  it('NLST expands *, ? and [...] in the last component, hidden names left out', async function () {
    expect(await nlst('*.txt')).to.deep.include({ code: 226, lines: ['[x.txt', 'a*.txt', 'a.txt', 'b.txt'] });
    expect((await nlst('?.txt')).lines).to.deep.equal(['a.txt', 'b.txt']);
    expect((await nlst('[ab].txt')).lines).to.deep.equal(['a.txt', 'b.txt']);
    expect((await nlst('[!a].txt')).lines).to.deep.equal(['b.txt']);
    expect((await nlst('d?r')).lines).to.deep.equal(['dir']);
  });

  it('NLST of a pattern keeps the directory the client gave, so mget can fetch each name', async function () {
    expect((await nlst('dir/*.txt')).lines).to.deep.equal(['dir/d.txt', 'dir/e.txt']);
    expect((await nlst('/dir/?.txt')).lines).to.deep.equal(['/dir/d.txt', '/dir/e.txt']);
    expect((await control.command('CWD dir')).code).to.equal(250);
    expect((await nlst('../?.txt')).lines).to.deep.equal(['../a.txt', '../b.txt']);
    expect((await nlst('*.bin')).lines).to.deep.equal(['x.bin']);
  });

  it('hidden names match only a pattern that starts with a dot, or with -a', async function () {
    expect((await nlst('.*')).lines).to.deep.equal(['.c.txt']);
    expect((await nlst('-a *.txt')).lines).to.deep.equal(['.c.txt', '[x.txt', 'a*.txt', 'a.txt', 'b.txt']);
  });

  it('a name that exists as written wins over the pattern it also is', async function () {
    expect((await nlst('a*.txt')).lines).to.deep.equal(['a*.txt']);
    expect((await nlst('[x.txt')).lines).to.deep.equal(['[x.txt']);
    const list = await listing(control, server.host, 'LIST a*.txt');
    expect(list.code).to.equal(226);
    expect(listedNames(list.lines)).to.deep.equal(['a*.txt']);
  });

  it('an unbalanced "[" is an ordinary character', async function () {
    expect((await nlst('[*')).lines).to.deep.equal(['[x.txt']);
    // No wildcard left: a plain name that does not exist.
    expect((await nlst('[')).code).to.equal(550);
    expect((await nlst('[]')).code).to.equal(550);
  });

  it('no match is an empty listing with 226, as vsftpd answers; a missing directory is a 550', async function () {
    expect(await nlst('*.none')).to.deep.include({ code: 226, lines: [] });
    expect((await listing(control, server.host, 'LIST *.none')).lines).to.deep.equal([]);
    expect((await nlst('nodir/*.txt')).code).to.equal(550);
    // Wildcards in earlier components are taken literally.
    expect((await nlst('d*/*.txt')).code).to.equal(550);
    expect((await nlst('a.txt/*')).code).to.equal(550);
  });

  it('".." cannot lead a pattern out of the root', async function () {
    for (const arg of ['../*', '../../*.txt', '/../*']) {
      const { code, lines } = await nlst(arg);
      expect(code, arg).to.equal(226);
      expect(lines.join('\n'), arg).not.to.contain('outside');
      expect(lines.length, arg).to.be.greaterThan(0);
    }
    expect((await nlst('../*.txt')).lines).to.deep.equal(['../[x.txt', '../a*.txt', '../a.txt', '../b.txt']);
  });

  it('LIST of a pattern lists the matching entries in long format, options included', async function () {
    const list = await listing(control, server.host, 'LIST *.txt');
    expect(list.code).to.equal(226);
    expect(listedNames(list.lines)).to.deep.equal(['[x.txt', 'a*.txt', 'a.txt', 'b.txt']);
    expect(list.lines.every((line) => line.startsWith('-rw'))).to.equal(true, list.lines.join('\n'));
    const all = await listing(control, server.host, 'LIST -la *.txt');
    expect(listedNames(all.lines)).to.deep.equal(['.c.txt', '[x.txt', 'a*.txt', 'a.txt', 'b.txt']);
    // A matching directory is listed as itself, not its contents.
    const dirs = await listing(control, server.host, 'LIST d?r');
    expect(dirs.lines).to.have.lengthOf(1);
    expect(dirs.lines[0]).to.match(/^d.* dir$/);
    expect(listedNames((await listing(control, server.host, 'LIST dir/*.bin')).lines)).to.deep.equal([
      'x.bin',
    ]);
  });

  it('MLSD of a pattern lists the matching entries by name', async function () {
    const mlsd = await listing(control, server.host, 'MLSD dir/*.txt');
    expect(mlsd.code).to.equal(226);
    expect(mlsd.lines.map((line) => line.slice(line.indexOf(' ') + 1))).to.deep.equal(['d.txt', 'e.txt']);
    expect(mlsd.lines.every((line) => line.startsWith('type=file;size=1;'))).to.equal(
      true,
      mlsd.lines.join('\n'),
    );
    expect(await listing(control, server.host, 'MLSD *.none')).to.deep.include({ code: 226, lines: [] });
    expect((await listing(control, server.host, 'MLSD a.txt')).code).to.equal(550);
  });

  it('STAT of a pattern shows the matches over the control connection', async function () {
    const reply = await control.command('STAT ?.txt');
    expect(reply.code).to.equal(212);
    expect(listedNames(reply.lines.slice(1, -1).map((l) => l.trim()))).to.deep.equal(['a.txt', 'b.txt']);
  });

  it('refuses an overlong pattern with a 501', async function () {
    expect((await nlst(`*${'x'.repeat(300)}`)).code).to.equal(501);
  });

  it('refuses a pattern matching more names than it lists, rather than list some', async function () {
    const many = join(root, 'many');
    await mkdir(many);
    // One by one with promises this takes seconds; these are empty files on a local disk.
    for (let i = 0; i <= 10_000; i++) writeFileSync(join(many, `f${i}`), '');
    const refused = await nlst('many/f*');
    expect(refused.code).to.equal(550);
    expect(refused.text).to.match(/10000/);
    expect((await nlst('many/f1?')).lines).to.have.lengthOf(10);
  });

  it('shows a directory with the size the filesystem gives it, in LIST and MLSD', async function () {
    const size = (await stat(join(root, 'dir'))).size;
    const list = await listing(control, server.host, 'LIST');
    const dirLine = list.lines.find((line) => line.endsWith(' dir'));
    expect(dirLine).to.match(new RegExp(`^d\\S+\\s+\\d+\\s+\\S+\\s+\\S+\\s+${size} `));
    const mlsd = await listing(control, server.host, 'MLSD');
    const dirFacts = mlsd.lines.find((line) => line.endsWith(' dir'));
    expect(dirFacts).to.match(new RegExp(`^type=dir;sizd=${size};`));
    expect(dirFacts).not.to.match(/;size=/);
    const mlst = await control.command('MLST dir');
    expect(mlst.lines[1]).to.match(new RegExp(`^ type=dir;sizd=${size};`));
    expect(
      (await control.command('FEAT')).lines.some((l) => /^ MLST type\*;size\*;sizd\*;/.test(l)),
    ).to.equal(true);
  });
});
