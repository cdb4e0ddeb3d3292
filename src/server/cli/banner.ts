import { isIP } from 'node:net';

/** The account the CLI made, for the banner: the password only on the start that made it. */
export interface BannerAccount {
  user: string;
  file: string;
  password?: string;
}

/** How a URL names the listening address: a wildcard becomes the loopback address of its family. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** What the operator reads on stderr once the server listens. */
export function banner(root: string, where: string, account: BannerAccount | undefined): string {
  if (account === undefined) return `ftpkitd is serving ${root} on ftp://${where}/\n`;
  const reset = `ftpkitd passwd --users ${account.file} ${account.user}`;
  if (account.password === undefined) {
    return (
      `ftpkitd is serving ${root} on ftp://${account.user}@${where}/\n` +
      `  user: ${account.user}, with the password printed when it was made (kept hashed in ${account.file})\n` +
      `  forgot it? ${reset}   (or delete that file for a new random one)\n`
    );
  }
  const url = `ftp://${account.user}:${account.password}@${where}/`;
  return (
    `ftpkitd is serving ${root} on ftp://${where}/\n` +
    `  user: ${account.user}  password: ${account.password}  (made now and shown this once; kept hashed in ${account.file})\n` +
    `  ${url}\n` +
    `  try: curl ${url}\n` +
    `  to change it: ${reset}\n`
  );
}
