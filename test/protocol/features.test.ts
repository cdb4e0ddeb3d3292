import { expect } from 'chai';
import { formatFeatureReply, parseFeatures } from '../../src/protocol/features.js';
import { formatReply } from '../../src/protocol/reply.js';
import { ReplyDecoder } from '../../src/protocol/reply-decoder.js';

describe('protocol/features', () => {
  it('formats the FEAT body with one leading space per feature', () => {
    expect(formatFeatureReply(['MDTM', 'SIZE', 'MLST type*;size*;'])).to.deep.equal([
      'Features:',
      ' MDTM',
      ' SIZE',
      ' MLST type*;size*;',
      'End',
    ]);
    expect(formatFeatureReply([])).to.deep.equal(['Features:', 'End']);
  });

  it('round-trips through formatReply, the reply decoder and parseFeatures', () => {
    const wire = formatReply(
      211,
      formatFeatureReply(['EPSV', 'MLST type*;size*;modify*;', 'REST STREAM', 'UTF8']),
    );
    const [reply] = new ReplyDecoder().push(wire);
    expect(reply?.code).to.equal(211);
    const features = parseFeatures(reply?.lines ?? []);
    expect([...features]).to.deep.equal([
      ['EPSV', ''],
      ['MLST', 'type*;size*;modify*;'],
      ['REST', 'STREAM'],
      ['UTF8', ''],
    ]);
  });

  it('parses what real servers send', () => {
    // vsftpd
    const vsftpd = parseFeatures([
      'Features:',
      ' EPRT',
      ' EPSV',
      ' MDTM',
      ' PASV',
      ' REST STREAM',
      ' SIZE',
      ' TVFS',
      'End',
    ]);
    expect(vsftpd.get('REST')).to.equal('STREAM');
    expect(vsftpd.has('TVFS')).to.equal(true);
    expect(vsftpd.size).to.equal(7);
    // proftpd: lower-case names, trailing spaces
    const proftpd = parseFeatures([
      'Features:',
      ' LANG en-US*',
      ' mlst modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.mode*;UNIX.owner*; ',
      ' AUTH TLS',
      'End',
    ]);
    expect(proftpd.get('MLST')).to.equal(
      'modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.mode*;UNIX.owner*;',
    );
    expect(proftpd.get('AUTH')).to.equal('TLS');
    // a server that repeats "211-" on every line (stripped by the decoder) and omits the space
    const [reply] = new ReplyDecoder().push(
      '211-Extensions supported:\r\n211-SIZE\r\n211-MDTM\r\n211 END\r\n',
    );
    expect([...parseFeatures(reply?.lines ?? []).keys()]).to.deep.equal(['SIZE', 'MDTM']);
  });

  it('returns an empty map for a reply without features', () => {
    expect(parseFeatures(['No features']).size).to.equal(0);
    expect(parseFeatures([]).size).to.equal(0);
  });
});
