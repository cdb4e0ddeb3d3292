// FtpClient against vsftpd (needs root): no MLST, so listings are parsed from LIST; anonymous
// login, writes only under its upload/ directory.
import { expect } from 'chai';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FtpClient } from '../../src/client/index.js';
import { startVsftpd, type VsftpdServer } from '../helpers/peer-servers.js';
import { requirePeer } from '../helpers/peers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { describeClientInterop, type PeerProfile } from './client-helpers.js';
import { HOSTS } from './helpers.js';

const VSFTPD: PeerProfile = {
  name: 'vsftpd',
  requires: 'vsftpd',
  hosts: HOSTS,
  listVerb: 'LIST',
  features: ['EPRT', 'EPSV', 'MDTM', 'SIZE', 'REST', 'UTF8'],
  missingFileCode: 550,
  async start(host, root, tls) {
    const server = await startVsftpd({ host, root, ...(tls === undefined ? {} : { tls }) });
    return { ...server, writableDir: `/${server.writableDir}` };
  },
};

describeClientInterop(VSFTPD);
// The same suite over FTPS, with TLS forced for the login and every data connection, and each data
// connection required to resume the control connection's TLS session (require_ssl_reuse).
describeClientInterop({ ...VSFTPD, secure: 'explicit' });
describeClientInterop({ ...VSFTPD, secure: 'implicit' });

describe('client interop: FtpClient against vsftpd, hidden names', function () {
  let root: TempDir | undefined;
  let server: VsftpdServer | undefined;
  let client: FtpClient | undefined;

  before(async function () {
    requirePeer(this, 'vsftpd');
    root = await makeTempDir('client-vsftpd-hidden');
    server = await startVsftpd({ root: root.path });
    const upload = join(root.path, server.writableDir);
    await mkdir(join(upload, '.cache'), { recursive: true });
    for (const name of ['.hidden', 'shown', '.cache/inside']) await writeFile(join(upload, name), name);
    // The anonymous user removes what is in it (vsftpd's upload/ itself is world-writable).
    await chmod(join(upload, '.cache'), 0o777);
    client = await FtpClient.connect({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
    });
  });

  after(async function () {
    await client?.close();
    await server?.stop();
    await root?.remove();
  });

  it('list({ all: true }) shows the dot files a plain LIST hides ("LIST -a")', async function () {
    if (client === undefined || server === undefined) throw new Error('no vsftpd');
    const names = async (all: boolean): Promise<string[]> =>
      (await client!.list(`/${server!.writableDir}`, { all })).map((entry) => entry.name).sort();
    expect(await names(false)).to.deep.equal(['shown']);
    expect(await names(true)).to.deep.equal(['.cache', '.hidden', 'shown']);
  });

  it('clearWorkingDir empties the directory, hidden names and all', async function () {
    if (client === undefined || server === undefined || root === undefined) throw new Error('no vsftpd');
    await client.cd(`/${server.writableDir}`);
    await client.clearWorkingDir();
    expect(await readdir(join(root.path, server.writableDir))).to.deep.equal([]);
  });
});
