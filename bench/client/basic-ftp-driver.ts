/** basic-ftp as a bench driver process (see driver.ts); its own defaults, its own file handling. */
import { Client } from 'basic-ftp';
import { runDriver } from './driver.js';

const TIMEOUT_MS = 30_000;

await runDriver(async (job) => {
  if (job.mode === 'active') throw new Error('basic-ftp has no active mode');
  const client = new Client(TIMEOUT_MS);
  try {
    await client.access({
      host: job.host,
      port: job.port,
      user: job.user,
      password: job.password,
      secure: job.tls,
      secureOptions: { rejectUnauthorized: false },
    });
  } catch (error) {
    client.close();
    throw error;
  }
  return {
    async download(remote, local) {
      await client.downloadTo(local, remote);
    },
    async upload(local, remote) {
      await client.uploadFrom(local, remote);
    },
    close() {
      client.close();
      return Promise.resolve();
    },
  };
});
