export const HELP = `ftpkitd: an FTP server (RFC 959, EPSV/EPRT, MLSD, IPv6), active and passive mode.

Usage:
  ftpkitd [options]
  ftpkitd passwd --users FILE [--home DIR] [--read-only] NAME   (see ftpkitd passwd --help)

Options:
  --root DIR              folder served as "/" (created if missing)       [./ftp-root]
  --host ADDR             address to listen on ("::" for all, v4 and v6)    [127.0.0.1]
  --port N                port; 0 picks a free one and the log says which  [2121]
  --users FILE            accounts file (JSON, scrypt hashes); see "passwd";
                          SIGHUP re-reads it
  --anonymous             let "anonymous"/"ftp" log in, read-only
  --anonymous-write       let anonymous users upload, delete and rename too
  --state-dir DIR         where the generated account is kept (never inside
                          the root)                 [$XDG_STATE_HOME/ftpkitd or ~/.local/state/ftpkitd]
  --pasv-range MIN-MAX    ports for passive data connections             [random ephemeral port]
  --pasv-address ADDR     IPv4 address announced in 227 replies (NAT, or
                          the load balancer's)                           [the control address]
  --proxy-protocol        behind a load balancer: connections from
                          --trusted-proxies (control and passive data)
                          start with a PROXY header (v1 or v2), whose
                          client address the session uses                  [off]
  --trusted-proxies CIDRS comma-separated networks whose PROXY headers are
                          believed (10.0.0.0/8,2001:db8::/32,192.0.2.7)   [none]
  --max-connections N     sessions at once                                 [1000]
  --max-per-ip N          sessions at once from one address                [100]
  --idle-timeout S        close a control connection idle this long        [300]
  --data-timeout S        give up on a silent data connection              [30]
  --no-sendfile           read downloads into buffers instead of sending
                          them with sendfile(2) (Linux, add-on built)      [sendfile]
  --login-delay MS        delay before answering a login from an address
                          that failed recently (doubles per failure)       [1000]
  --max-login-failures N  failed logins before the session is closed       [3]
  --ban-after N           failed logins from one address that ban it
                          (every login refused); 0: never                  [5]
  --ban-time S            the first ban's length; each further one doubles [600]
  --login-timeout S       time a connection has to log in                  [60]
  --auth-cache-ttl S      a right password spares the hash check on the
                          account's logins for S seconds; 0: off           [600]
  --max-hash-checks N     password checks (scrypt, up to 32 MiB each) at
                          once; further logins wait their turn             [2]
  --max-unauthenticated N connections not logged in yet, at most           [500]
  --shutdown-timeout S    on SIGINT/SIGTERM, time given to transfers       [10]
  --metrics ADDR:PORT     serve Prometheus metrics at http://ADDR:PORT/metrics
                          (PORT alone: 127.0.0.1; :PORT: every address)    [off]
  --xferlog FILE          append a line per file transfer, xferlog format;
                          SIGHUP reopens it after rotation                 [off]
  --tls-cert FILE         PEM certificate (chain allowed): FTPS with AUTH TLS
  --tls-key FILE          PEM private key of --tls-cert; SIGHUP re-reads both
  --tls-policy P          required: logins (but anonymous) and transfers need
                          TLS and PROT P; optional: plain FTP too         [required]
  --tls-session-reuse R   required: a protected data connection must resume
                          its control connection's TLS session; optional   [required]
  --implicit-tls-port N   also listen on N for implicit FTPS (TLS from the
                          first byte, PROT P implied); 0 picks a free port [off]
  --store s3://B[/P]      keep files in S3 bucket B (key prefix P) instead of
                          --root; accounts' homes become prefixes; credentials
                          from AWS_ACCESS_KEY_ID... or ~/.aws  [--root on the local disk]
  --s3-endpoint URL       S3-compatible endpoint, e.g. http://127.0.0.1:8080 [AWS]
  --s3-region R           the bucket's region                  [AWS_REGION, else us-east-1]
  --s3-path-style         bucket in the URL's path (most non-AWS engines)
  --config FILE           JSON file with the same option names; flags win
  --log-level LEVEL       fatal, error, warn, info, debug, trace, silent   [info]
  --log-format FORMAT     json or pretty                [pretty on a terminal, json otherwise]
  -h, --help              this text
  --version               print the version

Without --users or --anonymous, ftpkitd serves the user "ftpkit", made with a random password the
first time and kept (hashed) in the state folder; the password is printed only then. Every option
can also come from the environment: FTPKITD_PASV_RANGE=...
Exit status: 0 after a clean stop, 1 when the server cannot start or run, 2 for a wrong command line.
`;

export const PASSWD_HELP = `ftpkitd passwd: add an account to a users file, or set its password.

Usage:
  ftpkitd passwd --users FILE [--home DIR] [--read-only] NAME

Options:
  --users FILE   the users file (created if missing, mode 0600; the server's --users)
  --home DIR     the account's folder, inside the server's root (relative to it or absolute)
                                                                        [the root]
  --read-only    the account may download and list only; without it, a new account may write
                 and an existing one keeps its access
  -h, --help     this text

On a terminal the password is asked twice without being shown; otherwise the first line of
standard input is the password (echo "secret" | ftpkitd passwd --users users.json alice).
`;
