// Every error a caller of the library can meet comes from the package entry, with a stable code.
import { expect } from 'chai';
import * as ftpkit from '../../src/client/index.js';

describe('client/errors: the error surface of the package entry', () => {
  const reply = { code: 550, lines: ['No such file.'], text: 'No such file.' };
  const cases: [Error & { code: string }, string, string][] = [
    [new ftpkit.FtpReplyError('RETR f', reply), 'FtpReplyError', 'ERR_FTP_REPLY'],
    [new ftpkit.ConnectionClosedError('gone'), 'ConnectionClosedError', 'ERR_FTP_CONNECTION_CLOSED'],
    [new ftpkit.ClientTimeoutError('late', 'reply'), 'ClientTimeoutError', 'ERR_FTP_TIMEOUT'],
    [new ftpkit.ProtocolViolationError('bad'), 'ProtocolViolationError', 'ERR_FTP_PROTOCOL_VIOLATION'],
    [new ftpkit.LocalConflictError('in the way'), 'LocalConflictError', 'ERR_FTP_LOCAL_CONFLICT'],
    [new ftpkit.UnsafeLocalPathError('outside'), 'UnsafeLocalPathError', 'ERR_FTP_UNSAFE_LOCAL_PATH'],
    [new ftpkit.RemoteConflictError('in the way'), 'RemoteConflictError', 'ERR_FTP_REMOTE_CONFLICT'],
  ];
  for (const [error, name, code] of cases) {
    it(`${name} has the stable code ${code}`, () => {
      expect(error).to.be.instanceOf(Error);
      expect(error.name).to.equal(name);
      expect(error.code).to.equal(code);
    });
  }

  it('an FtpReplyError is an FtpError with the reply code; the Reply codes are exported', () => {
    const error = new ftpkit.FtpReplyError('RETR f', reply);
    expect(error).to.be.instanceOf(ftpkit.FtpError);
    expect(error.replyCode).to.equal(ftpkit.Reply.FileUnavailable);
    expect(error.message).to.equal('RETR f: 550 No such file.');
  });

  it('a timeout says what it waited for', () => {
    expect(new ftpkit.ClientTimeoutError('No data for 5 ms.', 'data').phase).to.equal('data');
  });
});
