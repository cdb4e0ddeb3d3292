import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, readConfigFile, readEnvironment, resolveOptions } from '../../src/server/config.js';
import { defaultOptions } from '../../src/server/options.js';

describe('server/config', function () {
  let dir: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'ftpkit-config-'));
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts from safe defaults: loopback, no anonymous access, a non-privileged port', function () {
    const options = resolveOptions([]);
    expect(options).to.deep.equal(defaultOptions);
    expect(options.host).to.equal('127.0.0.1');
    expect(options.anonymous).to.equal(false);
    expect(options.port).to.be.at.least(1024);
  });

  it('layers file < environment < flags', async function () {
    const file = join(dir, 'layers.json');
    await writeFile(
      file,
      JSON.stringify({ port: 2100, 'max-per-ip': 7, 'pasv-range': '50000-50010', root: '/srv/a' }),
    );
    const env = readEnvironment({ FTPKITD_PORT: '2200', FTPKITD_ROOT: '/srv/b', FTPKITD_IDLE_TIMEOUT: '60' });
    const options = resolveOptions([await readConfigFile(file), env, { root: '/srv/c' }]);
    expect(options.port).to.equal(2200);
    expect(options.root).to.equal('/srv/c');
    expect(options.maxConnectionsPerIp).to.equal(7);
    expect(options.idleTimeoutMs).to.equal(60_000);
    expect(options.pasvRange).to.deep.equal({ min: 50000, max: 50010 });
  });

  it('makes --anonymous-write imply --anonymous', function () {
    expect(resolveOptions([{ 'anonymous-write': true }]).anonymous).to.equal(true);
    expect(resolveOptions([{ anonymous: 'yes' }]).anonymous).to.equal(true);
  });

  it('reads --metrics as ADDR:PORT, [V6]:PORT, :PORT (every address) or PORT (loopback)', function () {
    const at = (text: string) => resolveOptions([{ metrics: text }]).metrics;
    expect(at('0.0.0.0:9100')).to.deep.equal({ host: '0.0.0.0', port: 9100 });
    expect(at('[::1]:9100')).to.deep.equal({ host: '::1', port: 9100 });
    expect(at(':9100')).to.deep.equal({ host: undefined, port: 9100 });
    expect(at('9100')).to.deep.equal({ host: '127.0.0.1', port: 9100 });
    expect(resolveOptions([]).metrics).to.equal(undefined);
  });

  it('refuses bad values with a message naming the option', async function () {
    const bad: Record<string, string>[] = [
      { port: '70000' },
      { port: 'twenty-one' },
      { 'pasv-range': '1000-2000' },
      { 'pasv-range': '60000-50000' },
      { 'pasv-address': 'example.com' },
      { 'pasv-address': '::1' },
      { 'log-level': 'loud' },
      { anonymous: 'maybe' },
      { 'max-connections': '0' },
      { root: '' },
      { metrics: 'example.com:9100' },
      { metrics: '127.0.0.1:99999' },
      { metrics: '127.0.0.1:' },
    ];
    for (const layer of bad) {
      const name = Object.keys(layer)[0]!;
      expect(() => resolveOptions([layer]), name)
        .to.throw(ConfigError)
        .with.property('message')
        .that.contains(`--${name}`);
    }
    const unknown = join(dir, 'unknown.json');
    await writeFile(unknown, JSON.stringify({ prot: 21 }));
    let error: unknown;
    await readConfigFile(unknown).catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.contain('unknown option "prot"');
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "port": ');
    await readConfigFile(broken).catch((err: unknown) => (error = err));
    expect((error as Error).message).to.contain('Cannot read config file');
  });
});
