import { expect } from 'chai';
import { isCompletion, isFailure, isPreliminary, isUnknownCommand, Reply } from '../../src/protocol/index.js';

describe('protocol/reply-codes', () => {
  it('classifies replies by their first digit', () => {
    expect(isPreliminary(Reply.FileStatusOk)).to.equal(true);
    expect(isCompletion(Reply.ClosingData)).to.equal(true);
    expect(isFailure(Reply.CantOpenData)).to.equal(true);
    expect(isFailure(Reply.PendingFurtherInfo)).to.equal(false);
  });

  it('tells "I do not know this command" from a failure of a known one', () => {
    for (const code of [500, 501, 502, 504]) expect(isUnknownCommand(code), String(code)).to.equal(true);
    for (const code of [421, 425, 503, 530, 550])
      expect(isUnknownCommand(code), String(code)).to.equal(false);
  });
});
