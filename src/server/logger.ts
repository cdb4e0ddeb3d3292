import { pino, type Logger, type Level } from 'pino';

export type { Logger };

/** The one pino factory: passwords are redacted here, whatever a caller logs. */
export function createLogger(
  level: Level | 'silent',
  destination?: NodeJS.WritableStream | pino.DestinationStream,
): Logger {
  const options = {
    level,
    base: { name: 'ftpkitd' },
    redact: { paths: ['password', '*.password', 'pass'], censor: '***' },
  };
  return destination ? pino(options, destination) : pino(options);
}
