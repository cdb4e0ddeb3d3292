import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { MetricsAddress } from './observe/metrics-endpoint.js';
import { parseCidr } from './proxy/trusted.js';
import { describeErrno, errnoCode } from './fs/errors.js';
import { parseS3Url } from './fs/s3/location.js';
import { defaultOptions, type PortRange, type ServerOptions } from './options.js';

/** Where a layer of options comes from: the message about a bad value names it as that source spells it. */
export type OptionSource = { kind: 'flags' } | { kind: 'environment' } | { kind: 'file'; file: string };

/** One source's options, before validation. */
export interface OptionLayer {
  source: OptionSource;
  values: RawOptions;
}

/**
 * Thrown for any bad option. `fromCommandLine` tells a wrong command line (exit 2) from a bad
 * config file or environment (exit 1).
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly fromCommandLine = false,
  ) {
    super(message);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;
const REQUIREMENTS = ['required', 'optional'] as const;

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
  'pasv-address': { key: 'pasvAddress', kind: 'ipv4' },
  'proxy-protocol': { key: 'proxyProtocol', kind: 'boolean' },
  'trusted-proxies': { key: 'trustedProxies', kind: 'cidrs' },
  'max-connections': { key: 'maxConnections', kind: 'count' },
  'max-per-ip': { key: 'maxConnectionsPerIp', kind: 'count' },
  'idle-timeout': { key: 'idleTimeoutMs', kind: 'seconds' },
  'data-timeout': { key: 'dataTimeoutMs', kind: 'seconds' },
  sendfile: { key: 'sendfile', kind: 'boolean' },
  'login-delay': { key: 'failedLoginDelayMs', kind: 'milliseconds' },
  'max-login-failures': { key: 'maxLoginFailures', kind: 'count' },
  'ban-after': { key: 'banAfter', kind: 'countOrZero' },
  'ban-time': { key: 'banTimeMs', kind: 'seconds' },
  'login-timeout': { key: 'loginTimeoutMs', kind: 'seconds' },
  'auth-cache-ttl': { key: 'authCacheTtlMs', kind: 'secondsOrZero' },
  'max-hash-checks': { key: 'maxHashChecks', kind: 'count' },
  'max-unauthenticated': { key: 'maxUnauthenticated', kind: 'count' },
  'shutdown-timeout': { key: 'shutdownTimeoutMs', kind: 'seconds' },
  metrics: { key: 'metrics', kind: 'listen' },
  xferlog: { key: 'xferlog', kind: 'string' },
  'log-level': { key: 'logLevel', kind: 'level' },
  'log-format': { key: 'logFormat', kind: 'format' },
  'state-dir': { key: 'stateDir', kind: 'string' },
  'tls-cert': { key: 'tlsCert', kind: 'string' },
  'tls-key': { key: 'tlsKey', kind: 'string' },
  'tls-policy': { key: 'tlsPolicy', kind: 'requirement' },
  'tls-session-reuse': { key: 'tlsSessionReuse', kind: 'requirement' },
  'implicit-tls-port': { key: 'implicitTlsPort', kind: 'port' },
  store: { key: 'store', kind: 's3Url' },
  's3-endpoint': { key: 's3Endpoint', kind: 'httpUrl' },
  's3-region': { key: 's3Region', kind: 'string' },
  's3-path-style': { key: 's3PathStyle', kind: 'boolean' },
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
      `${name} must be MIN-MAX with 1024 <= MIN <= MAX <= 65535, got ${JSON.stringify(text)}`,
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
      `${name} must be ADDR:PORT, [IPV6]:PORT, :PORT or PORT (e.g. 127.0.0.1:9100), got ${JSON.stringify(text)}`,
    );
  }
  if (m[1] === undefined && m[2] === undefined) return { host: '127.0.0.1', port };
  return { host: host === '' ? undefined : host, port };
}

/** "10.0.0.0/8,2001:db8::/32,192.0.2.7": networks or single addresses, IPv4 or IPv6. */
function parseCidrs(name: string, text: string): string[] {
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    try {
      parseCidr(item);
    } catch (err) {
      throw new ConfigError(
        `${name} must be a comma-separated list of CIDR networks: ${(err as Error).message}`,
      );
    }
  }
  return items;
}

function parseNumber(name: string, value: string | number | boolean, min: number, max: number): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function parseChoice<T extends string>(name: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as T;
}

function parseBoolean(name: string, value: string | boolean | number): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

/** An option as its source spells it: --pasv-range, FTPKITD_PASV_RANGE, "pasv-range" in FILE. */
function label(name: OptionName, source: OptionSource): string {
  switch (source.kind) {
    case 'flags':
      return `--${name}`;
    case 'environment':
      return environmentName(name);
    case 'file':
      return `config file ${source.file}: "${name}"`;
  }
}

function environmentName(name: OptionName): string {
  return `FTPKITD_${name.toUpperCase().replace(/-/g, '_')}`;
}

function apply(options: ServerOptions, layer: OptionLayer): ServerOptions {
  try {
    return applyValues(options, layer);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.message, layer.source.kind === 'flags');
    throw err;
  }
}

function applyValues(options: ServerOptions, layer: OptionLayer): ServerOptions {
  const out: Record<string, unknown> = { ...options };
  for (const option of OPTION_NAMES) {
    const value = layer.values[option];
    if (value === undefined) continue;
    const { key, kind } = SPEC[option];
    const name = label(option, layer.source);
    const text = String(value);
    switch (kind) {
      case 'string':
        if (text === '') throw new ConfigError(`${name} must not be empty`);
        out[key] = text;
        break;
      case 'boolean':
        out[key] = parseBoolean(name, value);
        break;
      case 'port':
        out[key] = parseNumber(name, value, 0, 65535);
        break;
      case 'count':
        out[key] = parseNumber(name, value, 1, 1_000_000);
        break;
      case 'countOrZero':
        out[key] = parseNumber(name, value, 0, 1_000_000);
        break;
      case 'seconds':
        out[key] = parseNumber(name, value, 1, 86_400) * 1000;
        break;
      case 'secondsOrZero':
        out[key] = parseNumber(name, value, 0, 86_400) * 1000;
        break;
      case 'milliseconds':
        out[key] = parseNumber(name, value, 0, 60_000);
        break;
      case 'range':
        out[key] = parseRange(name, text);
        break;
      case 'listen':
        out[key] = parseListen(name, text);
        break;
      case 'cidrs':
        out[key] = parseCidrs(name, text);
        break;
      case 'ipv4':
        if (isIP(text) !== 4) {
          throw new ConfigError(
            `${name} must be an IPv4 address (227 replies carry IPv4 only), got ${JSON.stringify(text)}`,
          );
        }
        out[key] = text;
        break;
      case 'level':
        out[key] = parseChoice(name, text, LOG_LEVELS);
        break;
      case 'format':
        out[key] = parseChoice(name, text, LOG_FORMATS);
        break;
      case 'requirement':
        out[key] = parseChoice(name, text, REQUIREMENTS);
        break;
      case 's3Url': {
        const location = parseS3Url(text);
        if (location === undefined) {
          throw new ConfigError(
            `${name} must be s3://BUCKET or s3://BUCKET/PREFIX (leave it out to serve the root folder), got ${JSON.stringify(text)}`,
          );
        }
        out[key] = location;
        break;
      }
      case 'httpUrl':
        if (!/^https?:\/\/[^/\s]+\/?$/.test(text)) {
          throw new ConfigError(
            `${name} must be http://HOST[:PORT] or https://HOST[:PORT], got ${JSON.stringify(text)}`,
          );
        }
        out[key] = text;
        break;
    }
  }
  return out as unknown as ServerOptions;
}

/** The options in a JSON config file, which spells them as the flags do without "--". */
export async function readConfigFile(file: string): Promise<OptionLayer> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const reason = errnoCode(err) === undefined ? (err as Error).message : describeErrno(err);
    throw new ConfigError(`cannot read config file ${file}: ${reason}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  const values: RawOptions = {};
  for (const [name, value] of Object.entries(parsed)) {
    // JSON has no comments: keys such as "//" or "// port" carry notes (deploy/ftpkitd.json).
    if (name.startsWith('//')) continue;
    if (!(name in SPEC)) throw new ConfigError(`config file ${file}: unknown option ${JSON.stringify(name)}`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(`config file ${file}: "${name}" must be a string, number or boolean`);
    }
    values[name as OptionName] = value;
  }
  return { source: { kind: 'file', file }, values };
}

/** FTPKITD_PASV_RANGE and so on. */
export function readEnvironment(env: NodeJS.ProcessEnv): OptionLayer {
  const values: RawOptions = {};
  for (const name of OPTION_NAMES) {
    const value = env[environmentName(name)];
    if (value !== undefined) values[name] = value;
  }
  return { source: { kind: 'environment' }, values };
}

/** Options given on the command line. */
export function flagLayer(values: RawOptions): OptionLayer {
  return { source: { kind: 'flags' }, values };
}

/** defaults < config file < environment < flags, each layer validated as its source spells it. */
export function resolveOptions(layers: readonly OptionLayer[]): ServerOptions {
  let options = defaultOptions;
  for (const layer of layers) options = apply(options, layer);
  if (options.anonymousWrite) options = { ...options, anonymous: true };
  // Checked once every layer is in: the certificate may come from the file and the key from a flag.
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    const missing = options.tlsCert === undefined ? 'tls-cert' : 'tls-key';
    const given = missing === 'tls-cert' ? 'tls-key' : 'tls-cert';
    throw new ConfigError(
      `${given} is set but ${missing} is not: FTPS needs both the certificate and its key`,
    );
  }
  if (options.proxyProtocol && (options.trustedProxies ?? []).length === 0) {
    throw new ConfigError(
      'proxy-protocol is set but trusted-proxies is not: name the load balancers whose PROXY headers to believe',
    );
  }
  if (options.implicitTlsPort !== undefined && options.tlsCert === undefined) {
    throw new ConfigError('implicit-tls-port is set but tls-cert and tls-key are not: FTPS needs both');
  }
  return options;
}
