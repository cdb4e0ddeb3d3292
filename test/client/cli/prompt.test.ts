import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { PromptInterruptedError, promptHidden } from '../../../src/client/cli/prompt.js';

/** A PassThrough that records raw-mode switches as a tty.ReadStream would have them. */
function fakeTty(): PassThrough & { isRaw: boolean; modes: boolean[]; setRawMode(mode: boolean): void } {
  const stream = new PassThrough() as PassThrough & {
    isRaw: boolean;
    modes: boolean[];
    setRawMode(mode: boolean): void;
  };
  stream.isRaw = false;
  stream.modes = [];
  stream.setRawMode = (mode: boolean) => {
    stream.isRaw = mode;
    stream.modes.push(mode);
  };
  return stream;
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('cli/prompt: promptHidden', function () {
  it('reads a line without echoing it and restores the terminal', async function () {
    const input = fakeTty();
    const output = collect();
    const answer = promptHidden(input, output.stream, 'Password: ');
    input.write('p4ss');
    input.write(' wörd\r');
    expect(await answer).to.equal('p4ss wörd');
    expect(output.text()).to.equal('Password: \n');
    expect(input.modes).to.deep.equal([true, false]);
    expect(input.isPaused()).to.equal(true);
  });

  it('handles backspace and Ctrl-U', async function () {
    const input = fakeTty();
    const answer = promptHidden(input, collect().stream, '? ');
    input.write('abX\u007fc\u0015xyz\bw\n');
    expect(await answer).to.equal('xyw');
  });

  it('rejects on Ctrl-C', async function () {
    const input = fakeTty();
    const answer = promptHidden(input, collect().stream, '? ');
    input.write('ab\u0003');
    let error: unknown;
    try {
      await answer;
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(PromptInterruptedError);
    expect(input.modes).to.deep.equal([true, false]);
  });

  it('accepts what was typed at the end of the input', async function () {
    const input = fakeTty();
    const answer = promptHidden(input, collect().stream, '? ');
    input.end('partial');
    expect(await answer).to.equal('partial');
  });
});
