// FtpClient against vsftpd (needs root): no MLST, so listings are parsed from LIST; anonymous
// login, writes only under its upload/ directory.
import { startVsftpd } from '../helpers/peer-servers.js';
import { describeClientInterop } from './client-helpers.js';
import { HOSTS } from './helpers.js';

describeClientInterop({
  name: 'vsftpd',
  requires: 'vsftpd',
  hosts: HOSTS,
  listVerb: 'LIST',
  features: ['EPRT', 'EPSV', 'MDTM', 'SIZE', 'REST', 'UTF8'],
  missingFileCode: 550,
  async start(host, root) {
    const server = await startVsftpd({ host, root });
    return { ...server, writableDir: `/${server.writableDir}` };
  },
});
