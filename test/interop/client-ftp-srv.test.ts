// FtpClient against the ftp-srv npm package, in process: no MLST (LIST parsing), and a control
// channel that is not read while a transfer runs, so ABOR is only seen after the data has failed.
import { startFtpSrv } from '../helpers/peer-servers.js';
import { describeClientInterop } from './client-helpers.js';
import { HOSTS } from './helpers.js';

describeClientInterop({
  name: 'ftp-srv',
  hosts: HOSTS,
  listVerb: 'LIST',
  features: ['MDTM', 'SIZE', 'UTF8'],
  // 551 ("page type unknown"), with the server's real path in the text: what ftp-srv says for
  // any read error.
  missingFileCode: 551,
  async start(host, root) {
    const server = await startFtpSrv({ host, root });
    return { ...server, writableDir: '/' };
  },
});
