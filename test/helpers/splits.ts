/**
 * Every way a decoder test should see its input arrive: whole, split in two at each byte position,
 * and one byte at a time. A correct incremental decoder gives the same result for all of them.
 */
export function* everySplit(input: Buffer): Generator<Buffer[]> {
  yield [input];
  for (let at = 1; at < input.length; at++) {
    yield [input.subarray(0, at), input.subarray(at)];
  }
  if (input.length > 1) {
    yield Array.from(input, (byte) => Buffer.from([byte]));
  }
}

/** A short label for a split, for assertion messages. */
export function describeSplit(chunks: readonly Buffer[]): string {
  return `chunks of [${chunks.map((chunk) => chunk.length).join(', ')}]`;
}
