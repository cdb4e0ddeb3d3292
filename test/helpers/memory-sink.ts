import { Writable } from 'node:stream';

export interface MemorySink {
  stream: Writable;
  /** Everything written so far. */
  text: () => string;
  /** What a pino logger wrote, one JSON object per line. */
  lines: () => Record<string, unknown>[];
}

/** A stream that keeps what is written to it, for tests that read a logger's output. */
export function memorySink(): MemorySink {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
