import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ClientOptions, SecureMode } from '../options.js';
import type { CommonFlags } from './args.js';
import type { FtpUrl } from './url.js';
import { UsageError } from './usage-error.js';

/** What the command line says about TLS. */
export type SecurityFlags = Pick<CommonFlags, 'tls' | 'ca' | 'insecure'>;

/**
 * The shell's --tls, --ca and --insecure: what every `open` starts from (`open --tls` and
 * `open --ca FILE` add to it, an ftps:// URL is implicit FTPS whatever it says).
 */
export interface TlsDefaults {
  /** Explicit FTPS for an ftp:// URL. */
  tls: boolean;
  trust: Trust;
}

/** The checks one connection makes: FTPS, and whether its data connections may involve another host. */
export type ConnectionSecurity = Pick<
  ClientOptions,
  'secure' | 'ca' | 'rejectUnauthorized' | 'allowForeignActivePeer' | 'allowForeignPasvHost'
>;

/** How a TLS connection verifies the server: --ca read, --insecure as given. */
export interface Trust {
  /** The PEM text of the --ca file. */
  ca?: string;
  insecure: boolean;
}

/**
 * The client's FTPS options from the URL and the flags: ftps:// is implicit FTPS, --tls with
 * ftp:// explicit; --ca adds the certificates of a PEM file to those trusted, --insecure trusts any.
 * @throws UsageError for --ca or --insecure without TLS.
 * @throws Error when the --ca file cannot be read or holds no certificate.
 */
export async function securityOptions(
  flags: SecurityFlags,
  url: Pick<FtpUrl, 'implicitTls'>,
  cwd: string,
): Promise<ConnectionSecurity> {
  const secure = secureMode(url.implicitTls === true, flags.tls);
  if (secure === false && (flags.ca !== undefined || flags.insecure)) {
    throw new UsageError(`${flags.insecure ? '--insecure' : '--ca'} needs --tls or an ftps:// URL`);
  }
  return connectionSecurity(secure, await readTrust(flags, cwd));
}

/**
 * --foreign-data-host: `security`, with data connections taken from another address than the
 * server's (active) and made to another host than the server's (a PASV reply naming one).
 */
export function withForeignDataHost(security: ConnectionSecurity, foreign: boolean): ConnectionSecurity {
  return foreign ? { ...security, allowForeignActivePeer: true, allowForeignPasvHost: true } : security;
}

/** ftps:// is implicit FTPS whatever else is said; --tls makes an ftp:// URL explicit FTPS. */
export function secureMode(implicitTls: boolean, tls: boolean): SecureMode {
  if (implicitTls) return 'implicit';
  return tls ? 'explicit' : false;
}

/** The options of a connection in `secure` mode: the trust applies only to a TLS one. */
export function connectionSecurity(secure: SecureMode, trust: Trust): ConnectionSecurity {
  if (secure === false) return { secure };
  return {
    secure,
    rejectUnauthorized: !trust.insecure,
    ...(trust.ca === undefined ? {} : { ca: trust.ca }),
  };
}

/**
 * --ca and --insecure as a connection uses them, the file read now (relative to `cwd`).
 * @throws Error when the --ca file cannot be read or holds no certificate.
 */
export async function readTrust(flags: Pick<SecurityFlags, 'ca' | 'insecure'>, cwd: string): Promise<Trust> {
  const trust: Trust = { insecure: flags.insecure };
  if (flags.ca !== undefined) trust.ca = await readCaFile(resolve(cwd, flags.ca), flags.ca);
  return trust;
}

/**
 * The PEM text of a --ca file at `path` (`shown` is how messages name it).
 * @throws Error when it cannot be read or holds no certificate.
 */
export async function readCaFile(path: string, shown: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`cannot read the --ca file ${shown}: ${code === 'ENOENT' ? 'no such file' : code}`, {
      cause: error,
    });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`the --ca file ${shown} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  }
  return text;
}
