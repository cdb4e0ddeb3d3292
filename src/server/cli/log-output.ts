import { pino } from 'pino';
import PinoPretty from 'pino-pretty';
import { createLogger, type Logger } from '../logger.js';
import type { ServerOptions } from '../options.js';

/** Pretty lines for a person at a terminal, JSON for journald and log shippers, unless told. */
export function logFormat(
  requested: ServerOptions['logFormat'],
  stdoutIsTerminal: boolean,
): 'json' | 'pretty' {
  return requested ?? (stdoutIsTerminal ? 'pretty' : 'json');
}

/** The CLI's logger on standard output, in the format asked for or suited to where it goes. */
export function createCliLogger(options: Pick<ServerOptions, 'logLevel' | 'logFormat'>): Logger {
  const terminal = process.stdout.isTTY;
  // Synchronous too: pino's default destination writes from a buffer in the background, and the
  // flush at exit wrote the last lines out of order ('stopped' ahead of transfers logged before it,
  // seen by test/server/cli.test.ts under load).
  if (logFormat(options.logFormat, terminal) === 'json')
    return createLogger(options.logLevel, pino.destination({ dest: 1, sync: true }));
  // In-process and synchronous: lines keep their order, and none is lost when the process exits.
  const pretty = PinoPretty({
    colorize: terminal,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'name',
    sync: true,
    destination: 1,
  });
  return createLogger(options.logLevel, pretty);
}
