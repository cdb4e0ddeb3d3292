import { isIP } from 'node:net';
import { UsageError } from './usage-error.js';

export const DEFAULT_FTP_PORT = 21;
/** Implicit FTPS's port (ftps://). */
export const DEFAULT_FTPS_PORT = 990;

/** What an `ftp://` URL (or a bare `host[:port]`) names, percent-decoded. */
export interface FtpUrl {
  /** Host name or IP address; an IPv6 literal without its brackets. */
  host: string;
  port: number;
  user?: string;
  password?: string;
  /**
   * The path after the host, as curl reads it: `ftp://h/a/b` gives `a/b` (relative to the login
   * directory), `ftp://h//a` and `ftp://h/%2Fa` give `/a` (absolute), `ftp://h` and `ftp://h/`
   * give `''` (the login directory itself). A trailing `/` is kept: it marks a directory.
   */
  path: string;
  /** An `ftps://` URL: implicit FTPS, TLS from the first byte. */
  implicitTls?: true;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const HOST_NAME = /^[\p{L}\p{N}._-]+$/u;

function decode(text: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw new UsageError(`bad percent-encoding in the URL's ${what}: ${JSON.stringify(text)}`);
  }
  // These would end the FTP command early and let the rest of the text become a second command.
  if (/[\r\n\0]/.test(decoded)) {
    throw new UsageError(`the URL's ${what} contains a line break or NUL, which FTP cannot carry`);
  }
  return decoded;
}

/**
 * A TCP port, 1 to 65535, as typed (`url` says where it came from, for the message).
 * @throws UsageError for anything else.
 */
export function parsePort(text: string, url?: string): number {
  const where = url === undefined ? '' : ` in ${url}`;
  if (!/^\d{1,5}$/.test(text)) throw new UsageError(`bad port ${JSON.stringify(text)}${where}`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new UsageError(`port ${port} out of range (1-65535)${where}`);
  return port;
}

function parseHostPort(text: string, url: string, defaultPort: number): { host: string; port: number } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new UsageError(`unclosed "[" in ${url}`);
    const host = text.slice(1, close);
    if (isIP(host) !== 6) throw new UsageError(`${JSON.stringify(host)} in brackets is not an IPv6 address`);
    const rest = text.slice(close + 1);
    if (rest === '') return { host, port: defaultPort };
    if (!rest.startsWith(':')) throw new UsageError(`unexpected text after "]" in ${url}`);
    return { host, port: parsePort(rest.slice(1), url) };
  }
  // A bare IPv6 address (more than one colon) cannot carry a port: `::1` alone is accepted.
  if (isIP(text) === 6) return { host: text, port: defaultPort };
  const colon = text.lastIndexOf(':');
  const host = colon < 0 ? text : text.slice(0, colon);
  const port = colon < 0 ? defaultPort : parsePort(text.slice(colon + 1), url);
  if (host === '') throw new UsageError(`no host in ${url}`);
  if (!HOST_NAME.test(host)) {
    throw new UsageError(
      `bad host ${JSON.stringify(host)} in ${url} (an IPv6 address with a port goes in brackets: [::1]:2121)`,
    );
  }
  return { host, port };
}

/**
 * Parses `ftp://[user[:password]@]host[:port][/path]`, or the same without the scheme (`host`,
 * `host:2121`, `[::1]:2121/dir`), or `ftps://` for implicit FTPS (port 990 by default). User,
 * password and path are percent-decoded; the path follows curl's rule (see FtpUrl.path). `#` and
 * `?` are ordinary path characters; `%` must be written `%25`.
 * @throws UsageError for another scheme, a bad port, a bad host or bad percent-encoding.
 */
export function parseFtpUrl(text: string): FtpUrl {
  const shown = JSON.stringify(text);
  if (text === '') throw new UsageError('empty URL');
  let rest = text;
  let implicitTls = false;
  const scheme = SCHEME.exec(text);
  if (scheme) {
    const name = (scheme[1] ?? '').toLowerCase();
    if (name === 'sftp') {
      throw new UsageError(`sftp:// is not supported (ftpkit speaks ftp:// and ftps://): ${shown}`);
    }
    if (name !== 'ftp' && name !== 'ftps') throw new UsageError(`not an ftp:// URL: ${shown}`);
    implicitTls = name === 'ftps';
    rest = text.slice(scheme[0].length);
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:\//.test(text)) {
    throw new UsageError(`not an ftp:// URL: ${shown}`);
  }

  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const rawPath = slash < 0 ? '' : rest.slice(slash + 1);

  // The last "@" ends the user part, so an unencoded "@" in a password still works.
  const at = authority.lastIndexOf('@');
  const userInfo = at < 0 ? undefined : authority.slice(0, at);
  const defaultPort = implicitTls ? DEFAULT_FTPS_PORT : DEFAULT_FTP_PORT;
  const { host, port } = parseHostPort(authority.slice(at + 1), shown, defaultPort);

  const url: FtpUrl = { host, port, path: decode(rawPath, 'path') };
  if (implicitTls) url.implicitTls = true;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const user = decode(colon < 0 ? userInfo : userInfo.slice(0, colon), 'user name');
    if (user !== '') url.user = user;
    if (colon >= 0) url.password = decode(userInfo.slice(colon + 1), 'password');
  }
  return url;
}

/** `host:port`, with an IPv6 address in brackets, for messages. */
export function formatHostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
