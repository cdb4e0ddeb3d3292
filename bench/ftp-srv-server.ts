/**
 * ftp-srv as a process of its own, so that the bench can measure its memory like any other server.
 *
 *   node build/bench/ftp-srv-server.js --root DIR [--port N]
 *
 * Anonymous login with write access to DIR; passive replies name 127.0.0.1 and use ftp-srv's
 * default port range. Prints "FTP-SRV-PORT <port>" once listening; exits when stdin closes, so it
 * never outlives the bench.
 */
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
  options: { root: { type: 'string' }, port: { type: 'string' } },
});
const root = values.root;
if (root === undefined) {
  process.stderr.write('usage: ftp-srv-server --root DIR [--port N]\n');
  process.exit(2);
}
const port = Number(values.port ?? '0');

const server = new FtpSrv({
  url: `ftp://127.0.0.1:${port}`,
  pasv_url: '127.0.0.1',
  anonymous: true,
  log: bunyan.createLogger({ name: 'ftp-srv', level: 'fatal' }),
});
server.on('login', (_data, resolve) => {
  resolve({ root });
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
