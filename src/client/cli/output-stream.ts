import { Writable } from 'node:stream';

/** Writing to stdout failed (the reader went away): a local error, not a network one. */
export class OutputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OutputError';
  }
}

/**
 * A Writable in front of stdout, or the shell's output, that the client's pipeline may end without
 * ending the stream itself, passing backpressure through (each chunk completes when it took it).
 */
export function keepOpen(stream: NodeJS.WritableStream, name: string): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      stream.write(chunk, (err?: Error | null) => {
        // No `code` on purpose: the client would take EPIPE for a broken data connection.
        callback(err ? new OutputError(`cannot write to ${name}: ${err.message}`, { cause: err }) : null);
      });
    },
  });
}
