import type { ServerCertificate } from './tls-certificate.js';

/**
 * A vsftpd configuration that keeps vsftpd's built-in defaults (listen backlog, timeouts, umask,
 * sandboxing by process) and sets only what the bench needs to run it: standalone on loopback in
 * the foreground, the bench's system accounts (PAM) chrooted to the root with write access,
 * anonymous logins only when a scenario compares them, and connection limits as high as the
 * other servers' in the same scenario.
 */
export function vsftpdConfig(fields: {
  port: number;
  root: string;
  emptyDir: string;
  connections: number;
  anonymous: boolean;
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
    // Local (system) accounts through PAM, as Debian's own vsftpd.conf sets them up.
    'local_enable=YES',
    'pam_service_name=vsftpd',
    'write_enable=YES',
    `local_root=${fields.root}`,
    'chroot_local_user=YES',
    // Uploads readable by everyone, as with the other servers.
    'local_umask=022',
    ...(fields.anonymous ? ['anonymous_enable=YES', `anon_root=${fields.root}`] : ['anonymous_enable=NO']),
    `secure_chroot_dir=${fields.emptyDir}`,
    `max_clients=${fields.connections}`,
    `max_per_ip=${fields.connections}`,
    ...(fields.tls === undefined ? [] : tlsLines(fields.tls)),
    '',
  ].join('\n');
}

/**
 * Explicit FTPS as vsftpd users set it up: logins and data of local users over TLS (its defaults
 * force_local_logins_ssl and force_local_data_ssl, left as they are), and data connections resuming
 * the control session (require_ssl_reuse, also its default).
 */
function tlsLines(tls: ServerCertificate): string[] {
  return [
    'ssl_enable=YES',
    `rsa_cert_file=${tls.certFile}`,
    `rsa_private_key_file=${tls.keyFile}`,
    // vsftpd 3.0.3's default cipher list (DES-CBC3-SHA) is refused by OpenSSL 3: no handshake at all.
    'ssl_ciphers=HIGH',
  ];
}
