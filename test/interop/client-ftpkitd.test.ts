// FtpClient against our own server, ftpkitd, in process: the reference row of the client matrix.
import { loadTlsCredentials } from '../../src/server/tls/credentials.js';
import { startServer } from '../helpers/start-server.js';
import { describeClientInterop, type PeerProfile } from './client-helpers.js';
import { HOSTS } from './helpers.js';

const FTPKITD: PeerProfile = {
  name: 'ftpkitd',
  hosts: HOSTS,
  listVerb: 'MLSD',
  features: ['EPRT', 'EPSV', 'MDTM', 'SIZE', 'REST', 'MLST', 'UTF8'],
  missingFileCode: 550,
  async start(host, root, tls) {
    const credentials = tls === undefined ? undefined : await loadTlsCredentials(tls.certFile, tls.keyFile);
    const server = await startServer({
      host,
      root,
      ...(credentials === undefined ? {} : { tls: credentials }),
    });
    return {
      host,
      port: server.port,
      user: server.user,
      password: server.password,
      writableDir: '/',
      log: () => Promise.resolve(''),
      stop: () => server.close(),
    };
  },
};

describeClientInterop(FTPKITD);
// Again over explicit FTPS with ftpkitd's defaults: TLS required, data connections required to
// resume their own control connection's session.
describeClientInterop({ ...FTPKITD, secure: 'explicit' });
