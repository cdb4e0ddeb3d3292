// FtpClient against our own server, ftpkitd, in process: the reference row of the client matrix.
import { startServer } from '../helpers/start-server.js';
import { describeClientInterop } from './client-helpers.js';
import { HOSTS } from './helpers.js';

describeClientInterop({
  name: 'ftpkitd',
  hosts: HOSTS,
  listVerb: 'MLSD',
  features: ['EPRT', 'EPSV', 'MDTM', 'SIZE', 'REST', 'MLST', 'UTF8'],
  missingFileCode: 550,
  async start(host, root) {
    const server = await startServer({ host, root });
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
});
