import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { MetricsAddress } from './observe/metrics-endpoint.js';
import { defaultOptions, type PortRange, type ServerOptions } from './options.js';

/** Thrown for any bad option; the CLI prints the message and exits 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Option names as the CLI spells them, with their place in ServerOptions. A config file uses the
 * same names ("pasv-range": "50000-50100"), and so does the environment (FTPKITD_PASV_RANGE).
 */
const SPEC = {
  root: { key: 'root', kind: 'string' },
  host: { key: 'host', kind: 'string' },
  port: { key: 'port', kind: 'port' },
  users: { key: 'usersFile', kind: 'string' },
  anonymous: { key: 'anonymous', kind: 'boolean' },
  'anonymous-write': { key: 'anonymousWrite', kind: 'boolean' },
  'pasv-range': { key: 'pasvRange', kind: 'range' },
  'pasv-address': { key: 'pasvAddress', kind: 'string' },
  'max-connections': { key: 'maxConnections', kind: 'count' },
  'max-per-ip': { key: 'maxConnectionsPerIp', kind: 'count' },
  'idle-timeout': { key: 'idleTimeoutMs', kind: 'seconds' },
  'data-timeout': { key: 'dataTimeoutMs', kind: 'seconds' },
  'login-delay': { key: 'failedLoginDelayMs', kind: 'milliseconds' },
  'max-login-failures': { key: 'maxLoginFailures', kind: 'count' },
  'ban-after': { key: 'banAfter', kind: 'countOrZero' },
  'ban-time': { key: 'banTimeMs', kind: 'seconds' },
  'login-timeout': { key: 'loginTimeoutMs', kind: 'seconds' },
  'max-unauthenticated': { key: 'maxUnauthenticated', kind: 'count' },
  'shutdown-timeout': { key: 'shutdownTimeoutMs', kind: 'seconds' },
  metrics: { key: 'metrics', kind: 'listen' },
  xferlog: { key: 'xferlog', kind: 'string' },
  'log-level': { key: 'logLevel', kind: 'level' },
} as const satisfies Record<string, { key: keyof ServerOptions; kind: string }>;

export type OptionName = keyof typeof SPEC;
export const OPTION_NAMES = Object.keys(SPEC) as OptionName[];
export type RawOptions = Partial<Record<OptionName, string | boolean | number>>;

function parseRange(name: string, text: string): PortRange {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1024 || max > 65535 || min > max) {
    throw new ConfigError(
      `--${name} must be MIN-MAX with 1024 <= MIN <= MAX <= 65535, got ${JSON.stringify(text)}`,
    );
  }
  return { min, max };
}

/**
 * ADDR:PORT, [V6ADDR]:PORT, :PORT (every address, as Prometheus exporters take it) or PORT alone
 * (loopback only: metrics are not for the world unless asked).
 */
function parseListen(name: string, text: string): MetricsAddress {
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || port > 65535 || (host !== undefined && host !== '' && isIP(host) === 0 && host !== 'localhost')) {
    throw new ConfigError(
      `--${name} must be ADDR:PORT, [IPV6]:PORT, :PORT or PORT (e.g. 127.0.0.1:9100), got ${JSON.stringify(text)}`,
    );
  }
  if (m[1] === undefined && m[2] === undefined) return { host: '127.0.0.1', port };
  return { host: host === '' ? undefined : host, port };
}

function parseNumber(name: string, value: string | number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function parseBoolean(name: string, value: string | boolean | number): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(`--${name} must be true or false, got ${JSON.stringify(value)}`);
}

function apply(options: ServerOptions, raw: RawOptions): ServerOptions {
  const out: Record<string, unknown> = { ...options };
  for (const name of OPTION_NAMES) {
    const value = raw[name];
    if (value === undefined) continue;
    const { key, kind } = SPEC[name];
    const text = String(value);
    switch (kind) {
      case 'string':
        if (text === '') throw new ConfigError(`--${name} must not be empty`);
        out[key] = text;
        break;
      case 'boolean':
        out[key] = parseBoolean(name, value);
        break;
      case 'port':
        out[key] = parseNumber(name, text, 0, 65535);
        break;
      case 'count':
        out[key] = parseNumber(name, text, 1, 1_000_000);
        break;
      case 'countOrZero':
        out[key] = parseNumber(name, text, 0, 1_000_000);
        break;
      case 'seconds':
        out[key] = parseNumber(name, text, 1, 86_400) * 1000;
        break;
      case 'milliseconds':
        out[key] = parseNumber(name, text, 0, 60_000);
        break;
      case 'range':
        out[key] = parseRange(name, text);
        break;
      case 'listen':
        out[key] = parseListen(name, text);
        break;
      case 'level':
        if (!(LOG_LEVELS as readonly string[]).includes(text)) {
          throw new ConfigError(
            `--${name} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(text)}`,
          );
        }
        out[key] = text;
        break;
    }
  }
  return out as unknown as ServerOptions;
}

export async function readConfigFile(file: string): Promise<RawOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${file} must hold a JSON object`);
  }
  const raw: RawOptions = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!(name in SPEC)) throw new ConfigError(`Config file ${file}: unknown option ${JSON.stringify(name)}`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(`Config file ${file}: ${name} must be a string, number or boolean`);
    }
    raw[name as OptionName] = value;
  }
  return raw;
}

export function readEnvironment(env: NodeJS.ProcessEnv): RawOptions {
  const raw: RawOptions = {};
  for (const name of OPTION_NAMES) {
    const value = env[`FTPKITD_${name.toUpperCase().replace(/-/g, '_')}`];
    if (value !== undefined) raw[name] = value;
  }
  return raw;
}

/** defaults < config file < environment < flags, validated as a whole. */
export function resolveOptions(layers: readonly RawOptions[]): ServerOptions {
  let options = defaultOptions;
  for (const layer of layers) options = apply(options, layer);
  if (options.pasvAddress !== undefined && isIP(options.pasvAddress) !== 4) {
    throw new ConfigError(`--pasv-address must be an IPv4 address (227 replies carry IPv4 only)`);
  }
  if (options.anonymousWrite) options = { ...options, anonymous: true };
  return options;
}
