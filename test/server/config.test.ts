import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  flagLayer,
  readConfigFile,
  readEnvironment,
  resolveOptions,
  type RawOptions,
} from '../../src/server/config.js';
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
    const options = resolveOptions([await readConfigFile(file), env, flagLayer({ root: '/srv/c' })]);
    expect(options.port).to.equal(2200);
    expect(options.root).to.equal('/srv/c');
    expect(options.maxConnectionsPerIp).to.equal(7);
    expect(options.idleTimeoutMs).to.equal(60_000);
    expect(options.pasvRange).to.deep.equal({ min: 50000, max: 50010 });
  });

  it('reads the S3 store options, and refuses a store that is not an s3:// URL', async function () {
    const file = join(dir, 's3.json');
    await writeFile(file, JSON.stringify({ store: 's3://ftp/site/', 's3-path-style': true }));
    const env = readEnvironment({
      FTPKITD_S3_ENDPOINT: 'http://127.0.0.1:8080',
      FTPKITD_S3_REGION: 'eu-west-1',
    });
    const options = resolveOptions([await readConfigFile(file), env]);
    expect(options.store).to.deep.equal({ bucket: 'ftp', prefix: 'site/' });
    expect(options.s3PathStyle).to.equal(true);
    expect(options.s3Endpoint).to.equal('http://127.0.0.1:8080');
    expect(options.s3Region).to.equal('eu-west-1');
    expect(() => resolveOptions([flagLayer({ store: '/srv/ftp' })])).to.throw(
      ConfigError,
      /--store must be s3:\/\/BUCKET or s3:\/\/BUCKET\/PREFIX/,
    );
    expect(() => resolveOptions([flagLayer({ 's3-endpoint': 'localhost:8080' })])).to.throw(
      ConfigError,
      /--s3-endpoint must be http:\/\/HOST\[:PORT\]/,
    );
  });

  it('takes keys starting with "//" in a config file as comments', async function () {
    const file = join(dir, 'comments.json');
    await writeFile(
      file,
      JSON.stringify({ '//': 'for the reader', '// port': ['any', { json: null }], port: 2100 }),
    );
    expect((await readConfigFile(file)).values).to.deep.equal({ port: 2100 });
  });

  it('makes --anonymous-write imply --anonymous', function () {
    expect(resolveOptions([flagLayer({ 'anonymous-write': true })]).anonymous).to.equal(true);
    expect(resolveOptions([flagLayer({ anonymous: 'yes' })]).anonymous).to.equal(true);
  });

  it('reads --metrics as ADDR:PORT, [V6]:PORT, :PORT (every address) or PORT (loopback)', function () {
    const at = (text: string) => resolveOptions([flagLayer({ metrics: text })]).metrics;
    expect(at('0.0.0.0:9100')).to.deep.equal({ host: '0.0.0.0', port: 9100 });
    expect(at('[::1]:9100')).to.deep.equal({ host: '::1', port: 9100 });
    expect(at(':9100')).to.deep.equal({ host: undefined, port: 9100 });
    expect(at('9100')).to.deep.equal({ host: '127.0.0.1', port: 9100 });
    expect(resolveOptions([]).metrics).to.equal(undefined);
  });

  it('sends with sendfile unless --no-sendfile, FTPKITD_SENDFILE=false or "sendfile": false says not', async function () {
    expect(resolveOptions([]).sendfile).to.equal(true);
    expect(resolveOptions([flagLayer({ sendfile: false })]).sendfile).to.equal(false);
    expect(resolveOptions([readEnvironment({ FTPKITD_SENDFILE: 'false' })]).sendfile).to.equal(false);
    const file = join(dir, 'sendfile.json');
    await writeFile(file, JSON.stringify({ sendfile: false }));
    expect(resolveOptions([await readConfigFile(file)]).sendfile).to.equal(false);
  });

  it('reads --proxy-protocol with --trusted-proxies, and refuses it without them', function () {
    const options = resolveOptions([
      flagLayer({ 'proxy-protocol': true, 'trusted-proxies': ' 10.0.0.0/8, 2001:db8::/32,192.0.2.7' }),
    ]);
    expect(options.proxyProtocol).to.equal(true);
    expect(options.trustedProxies).to.deep.equal(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
    expect(() => resolveOptions([flagLayer({ 'proxy-protocol': true })]))
      .to.throw(ConfigError)
      .with.property('message')
      .that.contains('trusted-proxies');
    expect(
      readEnvironment({ FTPKITD_PROXY_PROTOCOL: 'on', FTPKITD_TRUSTED_PROXIES: '::1' }).values,
    ).to.deep.equal({ 'proxy-protocol': 'on', 'trusted-proxies': '::1' });
  });

  it('refuses bad values with a message naming the option', async function () {
    const bad: RawOptions[] = [
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
      { 'trusted-proxies': '10.0.0.0/8,example.com' },
      { 'trusted-proxies': '10.0.0.0/33' },
      { 'trusted-proxies': '10.0.0.1,' },
    ];
    for (const layer of bad) {
      const name = Object.keys(layer)[0]!;
      expect(() => resolveOptions([flagLayer(layer)]), name)
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
    expect((error as Error).message).to.contain('cannot read config file');
  });

  it('names a bad value as its source spells it; only a bad flag is a command-line error', async function () {
    const file = join(dir, 'bad-range.json');
    await writeFile(file, JSON.stringify({ 'pasv-range': '60000-50000' }));
    const caught = (layers: Parameters<typeof resolveOptions>[0]): ConfigError => {
      try {
        resolveOptions(layers);
      } catch (err) {
        if (err instanceof ConfigError) return err;
      }
      throw new Error('no ConfigError');
    };
    const fromFile = caught([await readConfigFile(file)]);
    expect(fromFile.message).to.match(/^config file .*bad-range\.json: "pasv-range" must be MIN-MAX/);
    expect(fromFile.fromCommandLine).to.equal(false);
    const fromEnv = caught([readEnvironment({ FTPKITD_PORT: 'x' })]);
    expect(fromEnv.message).to.match(/^FTPKITD_PORT must be/);
    expect(fromEnv.fromCommandLine).to.equal(false);
    const fromFlag = caught([flagLayer({ 'log-format': 'xml' })]);
    expect(fromFlag.message).to.equal('--log-format must be one of json, pretty, got "xml"');
    expect(fromFlag.fromCommandLine).to.equal(true);
  });

  it('says in one line why a config file cannot be read', async function () {
    let error: unknown;
    await readConfigFile(join(dir, 'missing.json')).catch((err: unknown) => (error = err));
    expect((error as Error).message).to.equal(
      `cannot read config file ${join(dir, 'missing.json')}: no such file or directory`,
    );
  });
});
