import { makeCertificate } from '../test/helpers/tls-cert.js';

/** A throw-away certificate the servers of a TLS scenario present; nothing trusts it. */
export interface ServerCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Made once per bench run in the workspace (openssl, EC P-256), removed with it. */
export async function makeServerCertificate(workspace: string): Promise<ServerCertificate> {
  const { certFile, keyFile } = await makeCertificate(workspace, 'bench-server');
  return { certFile, keyFile };
}
