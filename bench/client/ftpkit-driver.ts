/** The ftpkit client as a bench driver process (see driver.ts), with its default options. */
import { FtpClient } from '../../src/client/index.js';
import { runDriver } from './driver.js';

await runDriver(async (job) => {
  const client = await FtpClient.connect({
    host: job.host,
    port: job.port,
    user: job.user,
    password: job.password,
    mode: job.mode,
    secure: job.tls ? 'explicit' : false,
    rejectUnauthorized: false,
  });
  return {
    async download(remote, local) {
      await client.download(remote, local);
    },
    async upload(local, remote) {
      await client.upload(local, remote);
    },
    close: () => client.close(),
  };
});
