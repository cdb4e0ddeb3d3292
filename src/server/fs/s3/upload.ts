import { PassThrough, Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload as MultipartUpload } from '@aws-sdk/lib-storage';
import { LocalProcessingError } from '../../../protocol/index.js';
import type { Upload } from '../file-system.js';
import { s3Error } from './errors.js';

/** Part size and how many parts travel at once: together they bound an upload's memory. */
export interface PartOptions {
  partSize: number;
  queueSize: number;
}

/** What the object is written as. */
export interface UploadTarget {
  bucket: string;
  key: string;
  /**
   * Bytes the new object starts with before the uploaded ones (the old content for APPE, its head
   * for REST + STOR), streamed from the engine.
   */
  head?: Readable;
  /**
   * Checks that must pass before anything reaches the engine (the name is no directory, its
   * parent is one). They run while the client sends; until they pass the body waits, and should
   * one fail the upload fails with its error, so no object or multipart upload is ever begun.
   */
  ready?: Promise<void>;
}

class UploadAborted extends Error {
  override name = 'UploadAborted';
}

/**
 * An upload streamed into one object through lib-storage: a single PUT when it fits in one part,
 * else a multipart upload. The object appears only when commit() completes it; abort(), or a
 * failure, aborts the multipart upload, so the old object stays and no parts are left behind.
 */
export class S3Upload implements Upload {
  readonly stream: PassThrough;
  readonly #head: Readable | undefined;
  readonly #done: Promise<void>;
  #outcome: { kind: 'commit' | 'abort'; done: Promise<void> } | undefined;

  constructor(client: S3Client, target: UploadTarget, parts: PartOptions) {
    // One part's worth waits here at most; lib-storage reads it as its queue has room.
    this.stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    this.#head = target.head;
    const body = target.head === undefined ? this.stream : Readable.from(concat(target.head, this.stream));
    const send = (): Promise<unknown> =>
      new MultipartUpload({
        client,
        params: { Bucket: target.bucket, Key: target.key, Body: body },
        partSize: parts.partSize,
        queueSize: parts.queueSize,
        leavePartsOnError: false,
      }).done();
    // Until the checks pass, what the client sends waits in the stream (then in its socket).
    const sent = target.ready === undefined ? send() : target.ready.then(() => this.#unlessAborted(send));
    this.#done = sent.then(
      () => undefined,
      (err: unknown) => {
        const error = s3Error(err);
        // The engine failed (or a check did) while bytes still come in: stop taking them, so the
        // transfer ends now with this reply instead of stalling on a stream nobody reads.
        if (!this.stream.destroyed) this.stream.destroy(error);
        throw error;
      },
    );
    this.#done.catch(() => undefined);
    // The error reaches the transfer through its pipe; this only keeps it from being unhandled.
    this.stream.on('error', () => undefined);
  }

  /** Sends the upload unless it was given up while its checks ran: what came so far is no object. */
  #unlessAborted(send: () => Promise<unknown>): Promise<unknown> {
    if (this.#outcome?.kind === 'abort' || this.stream.destroyed) {
      return Promise.reject(new UploadAborted('The upload was aborted.'));
    }
    return send();
  }

  commit(): Promise<void> {
    if (this.#outcome === undefined) {
      this.stream.end();
      this.#outcome = { kind: 'commit', done: this.#done };
    } else if (this.#outcome.kind === 'abort') {
      return Promise.reject(new LocalProcessingError('The upload was aborted.'));
    }
    return this.#outcome.done;
  }

  abort(): Promise<void> {
    if (this.#outcome === undefined) {
      // Ending the body with an error (never a plain end, which would upload what came so far)
      // makes lib-storage abort the multipart upload; done settles once that is sent.
      this.stream.destroy(new UploadAborted('The upload was aborted.'));
      this.#head?.destroy();
      this.#outcome = { kind: 'abort', done: this.#done };
    }
    return this.#outcome.done.catch(() => undefined);
  }
}

async function* concat(head: Readable, rest: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of head) yield chunk as Buffer;
  } catch (err) {
    rest.destroy(s3Error(err));
    throw err;
  }
  for await (const chunk of rest) yield chunk as Buffer;
}
