import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ClientOptions } from '../options.js';
import type { CommonFlags } from './args.js';
import type { FtpUrl } from './url.js';
import { UsageError } from './usage-error.js';

/** What the command line says about TLS. */
export type SecurityFlags = Pick<CommonFlags, 'tls' | 'ca' | 'insecure'>;

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
): Promise<Pick<ClientOptions, 'secure' | 'ca' | 'rejectUnauthorized'>> {
  const secure = url.implicitTls === true ? 'implicit' : flags.tls ? 'explicit' : false;
  if (secure === false) {
    if (flags.ca !== undefined || flags.insecure) {
      throw new UsageError(`${flags.insecure ? '--insecure' : '--ca'} needs --tls or an ftps:// URL`);
    }
    return { secure };
  }
  const options: Pick<ClientOptions, 'secure' | 'ca' | 'rejectUnauthorized'> = {
    secure,
    rejectUnauthorized: !flags.insecure,
  };
  if (flags.ca !== undefined) options.ca = await readCaFile(resolve(cwd, flags.ca), flags.ca);
  return options;
}

async function readCaFile(path: string, shown: string): Promise<string> {
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
