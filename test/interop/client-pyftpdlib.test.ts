// FtpClient against pyftpdlib (python3-pyftpdlib): MLSD listings, EPRT/EPSV, and on ABOR either
// 426 + 226 (data had flowed) or a lone 225 (none had).
import { startPyftpdlib } from '../helpers/peer-servers.js';
import { describeClientInterop, type PeerProfile } from './client-helpers.js';
import { HOSTS } from './helpers.js';

const PYFTPDLIB: PeerProfile = {
  name: 'pyftpdlib',
  requires: 'pyftpdlib',
  hosts: HOSTS,
  listVerb: 'MLSD',
  features: ['EPRT', 'EPSV', 'MDTM', 'SIZE', 'REST', 'MLST', 'UTF8'],
  missingFileCode: 550,
  earlyUploadAbortSkip: {
    // pyftpdlib 1.5 queues a passive STOR until it accepts the data connection; an ABOR that comes
    // before the accept drops the connection but not the queued STOR, which then takes over the
    // next transfer's data connection and that transfer hangs. A server bug, and a race: in active
    // mode the connection always exists before the STOR.
    passive: 'pyftpdlib keeps a queued STOR after ABOR when it had not yet accepted the connection',
  },
  async start(host, root, tls) {
    const server = await startPyftpdlib({ host, root, debug: true, ...(tls === undefined ? {} : { tls }) });
    return { ...server, writableDir: '/' };
  },
};

describeClientInterop(PYFTPDLIB);
// Again over FTPS (TLS_FTPHandler with TLS required for the login and the data; pyftpdlib has no
// implicit mode and does not check that data connections resume the control session).
describeClientInterop({ ...PYFTPDLIB, secure: 'explicit' });
