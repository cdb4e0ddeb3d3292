import { expect } from 'chai';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { netrcPath, resolveTarget, type ResolveOptions } from '../../../src/client/cli/credentials.js';
import { parseFtpUrl } from '../../../src/client/cli/url.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';

describe('cli/credentials: resolveTarget', function () {
  let home: TempDir;
  let warnings: string[];
  let prompts: string[];
  const options = (answer?: string): ResolveOptions => ({
    warn: (message) => warnings.push(message),
    ...(answer === undefined
      ? {}
      : {
          promptPassword: (prompt: string) => {
            prompts.push(prompt);
            return Promise.resolve(answer);
          },
        }),
  });
  const writeNetrc = async (text: string, mode = 0o600): Promise<void> => {
    const path = join(home.path, '.netrc');
    await writeFile(path, text);
    await chmod(path, mode);
  };

  beforeEach(async function () {
    home = await makeTempDir('cli-cred');
    warnings = [];
    prompts = [];
  });
  afterEach(async function () {
    await home.remove();
  });

  it('takes everything from the URL first, without reading .netrc', async function () {
    await writeNetrc('default login other password nope', 0o644);
    const target = await resolveTarget(
      parseFtpUrl('ftp://u:p@h:2121/a/b'),
      { FTPKIT_USER: 'e', FTPKIT_PASSWORD: 'ep' },
      home.path,
      options(),
    );
    expect(target).to.deep.equal({
      host: 'h',
      port: 2121,
      user: 'u',
      password: 'p',
      userGiven: true,
      path: 'a/b',
    });
    expect(warnings).to.deep.equal([]);
  });

  it('uses FTPKIT_USER and FTPKIT_PASSWORD when the URL has no user', async function () {
    const target = await resolveTarget(
      parseFtpUrl('h'),
      { FTPKIT_USER: 'e', FTPKIT_PASSWORD: 'ep' },
      home.path,
      options(),
    );
    expect(target).to.include({ user: 'e', password: 'ep' });
  });

  it("applies FTPKIT_PASSWORD to the URL's user unless FTPKIT_USER names another", async function () {
    const url = parseFtpUrl('ftp://u@h/');
    expect(await resolveTarget(url, { FTPKIT_PASSWORD: 'ep' }, home.path)).to.include({ password: 'ep' });
    expect(await resolveTarget(url, { FTPKIT_USER: 'u', FTPKIT_PASSWORD: 'ep' }, home.path)).to.include({
      password: 'ep',
    });
    expect(await resolveTarget(url, { FTPKIT_USER: 'x', FTPKIT_PASSWORD: 'ep' }, home.path)).to.include({
      password: '',
    });
  });

  it('reads login and password for the host from ~/.netrc', async function () {
    await writeNetrc('machine other login o password op\nmachine h login nu password "n p"\n');
    const target = await resolveTarget(parseFtpUrl('ftp://h/x'), {}, home.path, options());
    expect(target).to.deep.equal({
      host: 'h',
      port: 21,
      user: 'nu',
      password: 'n p',
      userGiven: true,
      path: 'x',
    });
    expect(warnings).to.deep.equal([]);
  });

  it("finds the password for the URL's user in .netrc", async function () {
    await writeNetrc('machine h login a password pa\nmachine h login b password pb\n');
    const target = await resolveTarget(parseFtpUrl('ftp://b@h/'), {}, home.path, options());
    expect(target).to.include({ user: 'b', password: 'pb' });
  });

  it('reads the file named by $NETRC instead of ~/.netrc', async function () {
    await writeNetrc('default login home password ph');
    const other = join(home.path, 'other-netrc');
    await writeFile(other, 'default login elsewhere password pe', { mode: 0o600 });
    expect(netrcPath({ NETRC: other }, home.path)).to.equal(other);
    expect(netrcPath({}, home.path)).to.equal(join(home.path, '.netrc'));
    const target = await resolveTarget(parseFtpUrl('h'), { NETRC: other }, home.path, options());
    expect(target).to.include({ user: 'elsewhere', password: 'pe' });
  });

  it('warns about a .netrc with a password that others can read, and still uses it', async function () {
    if (process.platform === 'win32') this.skip();
    await writeNetrc('machine h login nu password np\n', 0o644);
    const target = await resolveTarget(parseFtpUrl('h'), {}, home.path, options());
    expect(target).to.include({ user: 'nu', password: 'np' });
    expect(warnings).to.have.lengthOf(1);
    expect(warnings[0]).to.match(/other users can read.*chmod 600/);
  });

  it('warns when $NETRC names a file that is not there, and carries on anonymously', async function () {
    const target = await resolveTarget(
      parseFtpUrl('h'),
      { NETRC: join(home.path, 'missing') },
      home.path,
      options(),
    );
    expect(target).to.include({ user: 'anonymous', password: 'anonymous@' });
    expect(warnings).to.have.lengthOf(1);
    expect(warnings[0]).to.match(/cannot read .*missing/);
  });

  it('says nothing when ~/.netrc does not exist', async function () {
    await resolveTarget(parseFtpUrl('h'), {}, home.path, options());
    expect(warnings).to.deep.equal([]);
  });

  it('warns, and does not crash, when .netrc is a directory', async function () {
    const target = await resolveTarget(parseFtpUrl('h'), { NETRC: home.path }, home.path, options());
    expect(target.user).to.equal('anonymous');
    expect(warnings).to.have.lengthOf(1);
  });

  it('falls back to anonymous with the traditional password', async function () {
    const target = await resolveTarget(parseFtpUrl('ftp://h/pub/'), {}, home.path, options('never'));
    expect(target).to.deep.equal({
      host: 'h',
      port: 21,
      user: 'anonymous',
      password: 'anonymous@',
      userGiven: false,
      path: 'pub/',
    });
    expect(prompts).to.deep.equal([]);
  });

  it('does not prompt for the anonymous or ftp user', async function () {
    const target = await resolveTarget(parseFtpUrl('ftp://ftp@h/'), {}, home.path, options('never'));
    expect(target).to.include({ user: 'ftp', password: 'anonymous@' });
    expect(prompts).to.deep.equal([]);
  });

  it('prompts for the password of a known user when it can', async function () {
    const target = await resolveTarget(parseFtpUrl('ftp://u@[::1]:2121/'), {}, home.path, options('typed'));
    expect(target).to.include({ user: 'u', password: 'typed' });
    expect(prompts).to.deep.equal(['Password for u@[::1]:2121: ']);
  });

  it("uses '' for a known user's password when it cannot prompt", async function () {
    const target = await resolveTarget(parseFtpUrl('ftp://u@h/'), {}, home.path, options());
    expect(target).to.include({ user: 'u', password: '' });
  });

  it('keeps an explicitly empty password from the URL without prompting', async function () {
    const target = await resolveTarget(parseFtpUrl('ftp://u:@h/'), {}, home.path, options('typed'));
    expect(target).to.include({ user: 'u', password: '' });
    expect(prompts).to.deep.equal([]);
  });
});
