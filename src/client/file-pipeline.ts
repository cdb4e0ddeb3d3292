import type { WriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type Stage = NodeJS.ReadableStream | NodeJS.ReadWriteStream | NodeJS.WritableStream;

/**
 * pipeline() into a local file, settled only once the file is closed. When a stage fails,
 * pipeline() settles as soon as the error is out, while the fs.WriteStream it destroyed may not
 * even have opened its file yet: the open and the close still ran on the thread pool after the
 * caller had seen the error, so a partial download could appear (or come back) after it.
 */
export async function pipelineIntoFile(stages: readonly Stage[], file: WriteStream): Promise<void> {
  try {
    await pipeline([...stages, file]);
  } finally {
    await closeStream(file);
  }
}

/**
 * Waits until a file stream has closed its file, closing it first when the transfer never took it
 * (a refused command) or left it open (a failure half-way).
 */
export async function closeStream(stream: Readable | Writable): Promise<void> {
  if (stream.closed) return;
  await new Promise<void>((resolve) => {
    stream.once('close', resolve);
    if (!stream.destroyed) stream.destroy();
  });
}
