/**
 * ftp-srv as a process of its own, so that the bench can measure its memory like any other server.
 *
 *   node build/bench/ftp-srv-server.js --root DIR --accounts FILE [--anonymous] [--port N]
 *
 * FILE is a JSON table name -> password, checked in the login handler as ftp-srv's users do (it
 * leaves password checks to them; its examples compare plain text). Every account, and
 * "anonymous" with --anonymous, gets write access to DIR; passive replies name 127.0.0.1 and use
 * ftp-srv's default port range. Prints "FTP-SRV-PORT <port>" once listening; exits when stdin closes, so it
 * never outlives the bench.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Server } from 'node:net';
import { parseArgs } from 'node:util';
import { FtpSrv } from 'ftp-srv';

interface Bunyan {
  createLogger(options: { name: string; level: string }): unknown;
}

// bunyan is ftp-srv's own dependency, so it is resolved from there rather than from the bench.
const requireFromFtpSrv = createRequire(createRequire(import.meta.url).resolve('ftp-srv'));
const bunyan = requireFromFtpSrv('bunyan') as Bunyan;

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    accounts: { type: 'string' },
    anonymous: { type: 'boolean' },
    port: { type: 'string' },
  },
});
const root = values.root;
if (root === undefined || values.accounts === undefined) {
  process.stderr.write('usage: ftp-srv-server --root DIR --accounts FILE [--anonymous] [--port N]\n');
  process.exit(2);
}
const port = Number(values.port ?? '0');
const table: unknown = JSON.parse(readFileSync(values.accounts, 'utf8'));
const passwords = new Map<string, string>(
  Object.entries(typeof table === 'object' && table !== null ? table : {}).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  ),
);
const anonymous = values.anonymous === true;

const server = new FtpSrv({
  url: `ftp://127.0.0.1:${port}`,
  pasv_url: '127.0.0.1',
  anonymous,
  log: bunyan.createLogger({ name: 'ftp-srv', level: 'fatal' }),
});
server.on('login', ({ username, password }, resolve, reject) => {
  // ftp-srv itself lets "anonymous" through to this handler when the option is on.
  if ((anonymous && username === 'anonymous') || passwords.get(username) === password) resolve({ root });
  else reject(new Error('Login incorrect'));
});

await (server.listen() as Promise<unknown>);
const inner: unknown = Reflect.get(server, 'server');
const address = inner instanceof Server ? inner.address() : null;
if (address === null || typeof address === 'string') {
  process.stderr.write('ftp-srv is listening, but its address is unknown\n');
  process.exit(1);
}
process.stdout.write(`FTP-SRV-PORT ${address.port}\n`);

process.stdin.on('data', () => undefined);
process.stdin.on('end', () => {
  process.exit(0);
});
