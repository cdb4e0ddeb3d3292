// Throw-away TLS certificates for the FTPS tests, made by the openssl command at test time: keys
// are never committed, and what they sign is trusted only by a test that passes the test CA.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findCommand } from './peers.js';
import { run } from './process.js';
import { makeTempDir, type TempDir } from './temp-dir.js';

/** A certificate and its key, as PEM files. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestCertificates {
  /** The test CA's certificate (PEM file): what a client trusts to accept the CA-signed ones. */
  readonly caFile: string;
  readonly ca: Buffer;
  /** Signed by the CA, for localhost, 127.0.0.1 and ::1, valid now. */
  readonly valid: CertificateFiles;
  /** Signed by the CA, for the loopback names, but expired on 2020-01-02. */
  readonly expired: CertificateFiles;
  /** Signed by the CA, valid now, but for wrong.invalid only. */
  readonly wrongHost: CertificateFiles;
  /** For the loopback names and valid now, but signed by itself. */
  readonly selfSigned: CertificateFiles;
  /** Deletes the files; safe to call twice. */
  remove(): Promise<void>;
}

const LOOPBACK_NAMES = 'DNS:localhost,IP:127.0.0.1,IP:::1';

// `openssl ca` rather than `x509 -req`: only it can date a certificate in the past (the expired one).
const CA_CONFIG = `[ca]
default_ca = test
[test]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
[loopback]
subjectAltName = ${LOOPBACK_NAMES}
basicConstraints = CA:FALSE
[wrong]
subjectAltName = DNS:wrong.invalid
basicConstraints = CA:FALSE
`;

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function openssl(dir: string, args: string[]): Promise<void> {
  const command = findCommand('openssl');
  if (command === undefined) throw new Error('the openssl command is not installed (Debian: openssl)');
  const result = await run(command, args, { cwd: dir, timeoutMs: 20_000 });
  if (result.code !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${result.stderr.trim()}`);
}

/** Makes a CA and four server certificates in a fresh temporary directory (a few hundred ms). */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir: TempDir = await makeTempDir('certs');
  try {
    const at = (name: string): string => join(dir.path, name);
    await writeFile(at('ca.cnf'), CA_CONFIG);
    await writeFile(at('index.txt'), '');
    await writeFile(at('serial'), '01\n');
    await openssl(
      dir.path,
      ['req', '-x509', ...NEW_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2'].concat([
        '-subj',
        '/CN=ftpkit test CA',
      ]),
    );
    const signed = async (name: string, extensions: string, dates: string[]): Promise<CertificateFiles> => {
      await openssl(
        dir.path,
        ['req', '-new', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`].concat([
          '-subj',
          '/CN=ftpkit test server',
        ]),
      );
      await openssl(
        dir.path,
        ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key'].concat([
          '-in',
          `${name}.csr`,
          '-out',
          `${name}.pem`,
          '-extensions',
          extensions,
          '-notext',
          ...dates,
        ]),
      );
      return { certFile: at(`${name}.pem`), keyFile: at(`${name}.key`) };
    };
    const valid = await signed('valid', 'loopback', ['-days', '2']);
    const expired = await signed('expired', 'loopback', [
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
    ]);
    const wrongHost = await signed('wrong-host', 'wrong', ['-days', '2']);
    await openssl(
      dir.path,
      ['req', '-x509', ...NEW_KEY, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2'].concat([
        '-subj',
        '/CN=localhost',
        '-addext',
        `subjectAltName=${LOOPBACK_NAMES}`,
      ]),
    );
    return {
      caFile: at('ca.pem'),
      ca: await readFile(at('ca.pem')),
      valid,
      expired,
      wrongHost,
      selfSigned: { certFile: at('self.pem'), keyFile: at('self.key') },
      remove: () => dir.remove(),
    };
  } catch (error) {
    await dir.remove();
    throw error;
  }
}
