// deploy/: the example config must keep up with the options (one added without it fails here), and
// the systemd unit must be one systemd accepts and must agree with the config on every path.
import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  OPTION_NAMES,
  readConfigFile,
  resolveOptions,
  type OptionLayer,
  type OptionName,
  type RawOptions,
} from '../../src/server/config.js';
import { findCommand, requirePeer } from '../helpers/peers.js';
import { run } from '../helpers/process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLE = join(ROOT, 'deploy', 'ftpkitd.json');
const UNIT = join(ROOT, 'deploy', 'ftpkitd.service');
const CONFIG_PATH = '/etc/ftpkitd/ftpkitd.json';

type Json = Record<string, unknown>;

async function example(): Promise<Json> {
  return JSON.parse(await readFile(EXAMPLE, 'utf8')) as Json;
}

/** Values as the example file would hold them. */
function inFile(values: RawOptions): OptionLayer {
  return { source: { kind: 'file', file: EXAMPLE }, values };
}

function isOption(name: string): name is OptionName {
  return (OPTION_NAMES as readonly string[]).includes(name);
}

/** The options a "// NAME" comment names, and the comment's text. */
function commented(json: Json): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const m = /^\/\/ (.+)$/.exec(key);
    if (m?.[1] !== undefined) out.set(m[1], String(value));
  }
  return out;
}

/** The example value a comment gives: `e.g. "VALUE"`. */
function exampleValue(comment: string): string | undefined {
  return /e\.g\. "([^"]+)"/i.exec(comment)?.[1];
}

/** Section name -> directives in order, for the simple unit files in deploy/. */
function parseUnit(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>();
  let current: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[(.+)\]$/.exec(line)?.[1];
    if (section !== undefined) {
      current = [];
      sections.set(section, current);
      continue;
    }
    const eq = line.indexOf('=');
    current.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return sections;
}

function directives(unit: Map<string, [string, string][]>, name: string): string[] {
  return (unit.get('Service') ?? []).filter(([key]) => key === name).map(([, value]) => value);
}

describe('deploy/ftpkitd.json', function () {
  it('loads through readConfigFile and resolveOptions', async function () {
    expect(() => resolveOptions([])).to.not.throw();
    const options = resolveOptions([await readConfigFile(EXAMPLE)]);
    expect(isAbsolute(options.root), 'root').to.equal(true);
  });

  it('names every option, as a key or in a "// NAME" comment, and comments on options only', async function () {
    const json = await example();
    const notes = commented(json);
    for (const name of OPTION_NAMES) {
      expect(name in json || notes.has(name), `${name} is missing from deploy/ftpkitd.json`).to.equal(true);
    }
    for (const name of notes.keys()) expect(isOption(name), `comment on "${name}"`).to.equal(true);
  });

  it('holds each option at its default, but those set for a service, which say why', async function () {
    const json = await example();
    const notes = commented(json);
    const raw = (await readConfigFile(EXAMPLE)).values;
    const defaults = resolveOptions([]);
    const atDefault = { ...raw };
    for (const name of OPTION_NAMES) {
      const value = raw[name];
      if (value === undefined) continue;
      const changed =
        JSON.stringify(resolveOptions([inFile({ [name]: value })])) !== JSON.stringify(defaults);
      if (!changed) continue;
      expect(
        notes.get(name) ?? '',
        `${name}: a value other than the default needs a comment saying why`,
      ).to.match(/default/i);
      Reflect.deleteProperty(atDefault, name);
    }
    expect(resolveOptions([inFile(atDefault)])).to.deep.equal(defaults);
  });

  it('leaves the options that are off by default in comments, each with an example that works', async function () {
    const json = await example();
    const defaults = resolveOptions([]) as unknown as Json;
    const notes = commented(json);
    for (const [name, comment] of notes) {
      if (name in json || !isOption(name)) continue;
      const value = exampleValue(comment);
      expect(value, `// ${name} needs an example: e.g. "VALUE"`).to.be.a('string');
      // Options that only work together (tls-cert and tls-key) name each other in quotes.
      const companions = [...comment.matchAll(/"([a-z-]+)"/g)]
        .map((match) => match[1] ?? '')
        .filter((other) => other !== name && isOption(other));
      const layer: Json = { [name]: value ?? '' };
      for (const other of companions) layer[other] = exampleValue(notes.get(other) ?? '') ?? '';
      const set = resolveOptions([inFile(layer)]) as unknown as Json;
      const changed = Object.keys(set).filter(
        (key) => JSON.stringify(set[key]) !== JSON.stringify(defaults[key]),
      );
      expect(changed, name).to.have.lengthOf(1 + companions.length);
      for (const key of changed) {
        expect(defaults[key], `${name} has a default: it belongs in the file as a key`).to.equal(undefined);
      }
    }
  });
});

describe('deploy/ftpkitd.service', function () {
  it('runs ftpkitd by its absolute path with the example config', async function () {
    const unit = parseUnit(await readFile(UNIT, 'utf8'));
    const [execStart, ...more] = directives(unit, 'ExecStart');
    expect(more).to.deep.equal([]);
    const [program, ...args] = (execStart ?? '').split(/\s+/);
    expect(isAbsolute(program ?? ''), 'ExecStart').to.equal(true);
    expect(posix.basename(program ?? '')).to.equal('ftpkitd');
    expect(args).to.deep.equal(['--config', CONFIG_PATH]);
  });

  it('lets ftpkitd write where the example config has it write, and nowhere else', async function () {
    const unit = parseUnit(await readFile(UNIT, 'utf8'));
    const json = await example();
    const notes = commented(json);
    expect(directives(unit, 'ProtectSystem')).to.deep.equal(['strict']);
    expect(directives(unit, 'ReadWritePaths')).to.deep.equal([json.root]);
    expect(String(json.users)).to.match(new RegExp(`^${posix.dirname(CONFIG_PATH)}/`));
    const [stateDirectory] = directives(unit, 'StateDirectory');
    if ('state-dir' in json) expect(json['state-dir']).to.equal(`/var/lib/${stateDirectory}`);
    const [logsDirectory] = directives(unit, 'LogsDirectory');
    expect(exampleValue(notes.get('xferlog') ?? '')).to.match(new RegExp(`^/var/log/${logsDirectory}/`));
  });

  it('is accepted by systemd-analyze verify, warnings included', async function () {
    requirePeer(this, 'systemd-analyze');
    const dir = await makeTempDir('unit');
    try {
      // verify checks that ExecStart's program exists: this checkout's bin stands in for the
      // installed one.
      const text = await readFile(UNIT, 'utf8');
      const bin = join(ROOT, 'bin', 'ftpkitd.js');
      const copy = join(dir.path, 'ftpkitd.service');
      await writeFile(copy, text.replace(/^ExecStart=\S+/m, `ExecStart=${bin}`));
      const result = await run(findCommand('systemd-analyze') ?? 'systemd-analyze', ['verify', copy], {
        cwd: dir.path,
      });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.equal('');
    } finally {
      await dir.remove();
    }
  });
});
