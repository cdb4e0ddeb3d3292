import { expect } from 'chai';
import { formatS3Url, parseS3Url } from '../../../../src/server/fs/s3/location.js';
import { s3Error } from '../../../../src/server/fs/s3/errors.js';

describe('S3 store locations', function () {
  it('reads s3://BUCKET[/PREFIX] with the prefix ending in "/"', function () {
    expect(parseS3Url('s3://ftp')).to.deep.equal({ bucket: 'ftp', prefix: '' });
    expect(parseS3Url('s3://ftp/')).to.deep.equal({ bucket: 'ftp', prefix: '' });
    expect(parseS3Url('s3://ftp/a//b/')).to.deep.equal({ bucket: 'ftp', prefix: 'a/b/' });
    expect(formatS3Url({ bucket: 'ftp', prefix: 'a/b/' })).to.equal('s3://ftp/a/b');
    expect(formatS3Url({ bucket: 'ftp', prefix: '' })).to.equal('s3://ftp');
  });

  it('refuses what is not one', function () {
    for (const text of ['ftp', '/srv/ftp', 's3://', 's3:///x', 'http://ftp', 's3://ftp/../x', 's3://a b']) {
      expect(parseS3Url(text), text).to.equal(undefined);
    }
  });
});

describe('S3 engine errors as replies', function () {
  const engine = (name: string, status: number | undefined, message = 'at http://10.0.0.1:8080/b/k'): Error =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

  it('maps missing keys to 550, refusals to 550, size limits to 552 and the rest to 451', function () {
    expect(s3Error(engine('NoSuchKey', 404)).replyCode).to.equal(550);
    expect(s3Error(engine('NotFound', 404)).replyCode).to.equal(550);
    expect(s3Error(engine('AccessDenied', 403)).replyCode).to.equal(550);
    expect(s3Error(engine('EntityTooLarge', 400)).replyCode).to.equal(552);
    expect(s3Error(engine('KeyTooLongError', 400)).replyCode).to.equal(553);
    expect(s3Error(engine('ServiceUnavailable', 503)).replyCode).to.equal(451);
    expect(
      s3Error(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }))
        .replyCode,
    ).to.equal(451);
  });

  it('never puts what the SDK said in the reply', function () {
    for (const err of [engine('InternalError', 500), engine('NoSuchKey', 404), engine('AccessDenied', 403)]) {
      const reply = s3Error(err);
      expect(reply.message).not.to.contain('10.0.0.1');
      expect(reply.cause).to.equal(err);
    }
  });
});
