import { expect } from 'chai';
import { formatHostPort, parseFtpUrl } from '../../../src/client/cli/url.js';
import { UsageError } from '../../../src/client/cli/usage-error.js';

describe('cli/url: parseFtpUrl', function () {
  it('reads user, password, host, port and path', function () {
    expect(parseFtpUrl('ftp://alice:s3cret@example.com:2121/pub/file.txt')).to.deep.equal({
      host: 'example.com',
      port: 2121,
      user: 'alice',
      password: 's3cret',
      path: 'pub/file.txt',
    });
  });

  it('defaults the port to 21 and leaves out absent credentials', function () {
    expect(parseFtpUrl('ftp://example.com/a')).to.deep.equal({ host: 'example.com', port: 21, path: 'a' });
  });

  it('reads ftps:// as implicit FTPS, on port 990 unless the URL names one', function () {
    expect(parseFtpUrl('ftps://example.com/a')).to.deep.equal({
      host: 'example.com',
      port: 990,
      path: 'a',
      implicitTls: true,
    });
    expect(parseFtpUrl('FTPS://[::1]:2990/')).to.deep.equal({
      host: '::1',
      port: 2990,
      path: '',
      implicitTls: true,
    });
    expect(parseFtpUrl('ftps://[::1]').port).to.equal(990);
    expect(parseFtpUrl('ftp://example.com/a')).not.to.have.property('implicitTls');
  });

  it('gives "" for no path and for a lone slash (the login directory)', function () {
    expect(parseFtpUrl('ftp://h').path).to.equal('');
    expect(parseFtpUrl('ftp://h/').path).to.equal('');
  });

  it('makes the path relative to the login directory, absolute with // or %2F (as curl)', function () {
    expect(parseFtpUrl('ftp://h/a/b').path).to.equal('a/b');
    expect(parseFtpUrl('ftp://h//etc/motd').path).to.equal('/etc/motd');
    expect(parseFtpUrl('ftp://h/%2Fetc/motd').path).to.equal('/etc/motd');
    expect(parseFtpUrl('ftp://h/%2fetc').path).to.equal('/etc');
  });

  it('keeps a trailing slash, which marks a directory', function () {
    expect(parseFtpUrl('ftp://h/up/').path).to.equal('up/');
  });

  it('percent-decodes user, password and path', function () {
    const url = parseFtpUrl('ftp://us%40er:p4ss%20word%3A%2F@h/h%C3%A9llo%20w%C3%B6rld.txt');
    expect(url.user).to.equal('us@er');
    expect(url.password).to.equal('p4ss word:/');
    expect(url.path).to.equal('héllo wörld.txt');
  });

  it('takes the last @ as the end of the user part', function () {
    const url = parseFtpUrl('ftp://me@corp:pa@ss@h/');
    expect(url.user).to.equal('me@corp');
    expect(url.password).to.equal('pa@ss');
    expect(url.host).to.equal('h');
  });

  it('accepts an empty password and treats an empty user as none', function () {
    expect(parseFtpUrl('ftp://bob:@h/').password).to.equal('');
    const url = parseFtpUrl('ftp://@h/');
    expect(url).to.not.have.property('user');
  });

  it('reads IPv6 literals in brackets, with and without a port', function () {
    expect(parseFtpUrl('ftp://[::1]:2121/x')).to.deep.equal({ host: '::1', port: 2121, path: 'x' });
    expect(parseFtpUrl('ftp://u@[2001:db8::7]/')).to.include({ host: '2001:db8::7', port: 21, user: 'u' });
  });

  it('accepts host, host:port and a bare IPv6 address without a scheme', function () {
    expect(parseFtpUrl('example.com')).to.deep.equal({ host: 'example.com', port: 21, path: '' });
    expect(parseFtpUrl('127.0.0.1:2121')).to.deep.equal({ host: '127.0.0.1', port: 2121, path: '' });
    expect(parseFtpUrl('::1')).to.deep.equal({ host: '::1', port: 21, path: '' });
    expect(parseFtpUrl('u@[::1]:99/d/')).to.deep.equal({ host: '::1', port: 99, user: 'u', path: 'd/' });
  });

  it('treats # and ? as ordinary path characters', function () {
    expect(parseFtpUrl('ftp://h/a#b?c').path).to.equal('a#b?c');
  });

  it('accepts the scheme in any case', function () {
    expect(parseFtpUrl('FTP://h/x').path).to.equal('x');
  });

  const bad: [string, RegExp][] = [
    ['', /empty URL/],
    ['http://h/x', /not an ftp:\/\/ URL/],
    ['sftp://h/x', /sftp:\/\/ is not supported/],
    ['file:/etc/passwd', /not an ftp:\/\/ URL/],
    ['ftp://h:0/', /port 0 out of range/],
    ['ftp://h:65536/', /out of range/],
    ['ftp://h:abc/', /bad port "abc"/],
    ['ftp://h:/', /bad port ""/],
    ['ftp:///path', /no host/],
    ['ftp://[::1/', /unclosed/],
    ['ftp://[example.com]/', /not an IPv6 address/],
    ['ftp://[::1]x/', /unexpected text after/],
    ['ftp://ho st/', /bad host/],
    ['ftp://h/%zz', /bad percent-encoding in the URL's path/],
    ['ftp://u%:p@h/', /bad percent-encoding in the URL's user name/],
    ['ftp://h/a%0D%0ADELE%20x', /line break or NUL/],
    ['ftp://u:p%00@h/', /line break or NUL/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)} with a UsageError`, function () {
      expect(() => parseFtpUrl(text))
        .to.throw(UsageError)
        .with.property('message')
        .that.matches(message);
    });
  }
});

describe('cli/url: formatHostPort', function () {
  it('brackets IPv6 addresses only', function () {
    expect(formatHostPort('::1', 21)).to.equal('[::1]:21');
    expect(formatHostPort('127.0.0.1', 2121)).to.equal('127.0.0.1:2121');
    expect(formatHostPort('example.com', 21)).to.equal('example.com:21');
  });
});
