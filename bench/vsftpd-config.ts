import type { ServerCertificate } from './tls-certificate.js';

/**
 * A vsftpd configuration that keeps vsftpd's built-in defaults (listen backlog, timeouts, umask,
 * sandboxing by process) and sets only what the bench needs to run it: standalone on loopback in
 * the foreground, anonymous access with uploads, and connection limits as high as the other
 * servers' in the same scenario.
 */
export function vsftpdConfig(fields: {
  port: number;
  root: string;
  emptyDir: string;
  connections: number;
  tls?: ServerCertificate;
}): string {
  return [
    'listen=YES',
    'listen_ipv6=NO',
    'listen_address=127.0.0.1',
    `listen_port=${fields.port}`,
    // Foreground, so that the bench owns the process and sees it die.
    'background=NO',
    // Debian's vsftpd 3.0.3 seccomp filter predates glibc's newfstatat: sessions die with SIGSYS on
    // the first RETR. Without this line it does not run at all.
    'seccomp_sandbox=NO',
    'anonymous_enable=YES',
    'local_enable=NO',
    `anon_root=${fields.root}`,
    'write_enable=YES',
    'anon_upload_enable=YES',
    'anon_mkdir_write_enable=YES',
    // Uploads readable by anonymous users, as with the other servers: the soak reads each one back.
    'anon_umask=022',
    // And deletable: the soak deletes each upload once it has read it back.
    'anon_other_write_enable=YES',
    `secure_chroot_dir=${fields.emptyDir}`,
    `max_clients=${fields.connections}`,
    `max_per_ip=${fields.connections}`,
    ...(fields.tls === undefined ? [] : tlsLines(fields.tls)),
    '',
  ].join('\n');
}

/**
 * Explicit FTPS as vsftpd users set it up: logins and data of anonymous users over TLS too, and
 * data connections resuming the control session (require_ssl_reuse, vsftpd's default, left as is).
 */
function tlsLines(tls: ServerCertificate): string[] {
  return [
    'ssl_enable=YES',
    'allow_anon_ssl=YES',
    'force_anon_logins_ssl=YES',
    'force_anon_data_ssl=YES',
    `rsa_cert_file=${tls.certFile}`,
    `rsa_private_key_file=${tls.keyFile}`,
    // vsftpd 3.0.3's default cipher list (DES-CBC3-SHA) is refused by OpenSSL 3: no handshake at all.
    'ssl_ciphers=HIGH',
  ];
}
