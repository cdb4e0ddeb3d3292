import type { VerbName } from './args.js';

const COMMON_FLAGS = `Flags for every command:
  --passive               the client opens data connections (EPSV, else PASV)   [default]
  --active                the server opens data connections (EPRT, else PORT)
  --ascii                 transfer in ASCII mode (TYPE A: line endings converted)
  --tls                   FTPS with an ftp:// URL: TLS after the greeting (AUTH TLS), then
                          for the login and every data connection (ftps:// needs no flag)
  --ca FILE               trust the certificates in this PEM file (a private CA, or the
                          server's own self-signed certificate)
  --insecure              accept any certificate: still encrypted, but anyone in the way
                          could pose as the server
  --foreign-data-host     take data connections with a host other than the server's address
                          (a server behind a load balancer or NAT): active, a connection from
                          any address; passive, a PASV reply naming another host
  -q, --quiet             no progress output
  -v, --verbose           print the protocol exchange on stderr ("> " sent, "< " received;
                          the password is masked)
  -h, --help              help (also: ftpkit help COMMAND)
  --version               print the version`;

const URL_RULES = `URLs:
  ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH     ("ftp://" may be left out: HOST, HOST:PORT)
  ftps://... is implicit FTPS: TLS from the first byte, port 990 unless the URL names one.
  USER, PASSWORD and PATH are percent-decoded (%20 is a space, %40 "@", %25 "%").
  An IPv6 address goes in brackets: ftp://[::1]:2121/file
  As in curl, PATH is relative to the login directory: ftp://host/a/b is a/b inside the
  directory the server puts you in. Start it with a second slash, or %2F, for an absolute
  path: ftp://host//etc/motd and ftp://host/%2Fetc/motd both mean /etc/motd.`;

const CREDENTIALS = `Credentials (first source that has them):
  1. the URL: ftp://alice:secret@host/ (best kept off the command line: other users can
     see it in the process list)
  2. FTPKIT_USER and FTPKIT_PASSWORD from the environment
  3. ~/.netrc (or the file named by $NETRC): "machine HOST login USER password PASS",
     or a "default" entry; quote a password with spaces: password "p4ss word"
  4. anonymous
  A user without a password is asked for one when stdin is a terminal, else sends "".`;

const EXIT = `Exit status: 0 done, 1 failed (the server's reply code and text are printed; or a TLS
certificate that does not verify, and why), 2 bad command line, 130 interrupted (Ctrl-C aborts
a transfer with ABOR).`;

export const GLOBAL_HELP = `ftpkit: an FTP client (active and passive mode, IPv6, resume).

Usage:
  ftpkit ls [-F] URL                    list a directory (ls -l style)
  ftpkit get URL [-o LOCAL]             download a file (-o - writes to stdout)
  ftpkit put LOCAL URL                  upload a file (LOCAL - reads stdin)
                                        (get and put: --resume continues a partial file)
  ftpkit rm [-r] URL                    delete a file (-r: a directory and its contents)
  ftpkit mkdir URL                      create a directory and missing parents
  ftpkit mv URL NEWPATH                 rename or move a file or directory
  ftpkit mirror URL LOCALDIR            copy a remote tree here
  ftpkit mirror --reverse LOCALDIR URL  copy a local tree to the server
  ftpkit [shell] [URL]                  interactive shell (a URL alone must start with ftp://
                                        or ftps://)
  ftpkit help COMMAND                   more about one command

${COMMON_FLAGS}

${URL_RULES}

${CREDENTIALS}

${EXIT}
`;

const VERB_HELP: Record<VerbName, string> = {
  ls: `Usage: ftpkit ls [-F] URL

Lists the directory URL names, one entry per line in name order: type and permissions ("?"
where the server does not say), size in bytes, modification time, name; links show their
target. A time from an MLSD listing is shown in local time; one from a LIST line as the
server gave it (a date alone when it gave no time of day). A file URL shows that one file;
ftp://host/ lists the login directory.
  -F, --classify          mark directories with "/", links with "@", executables with "*"`,

  get: `Usage: ftpkit get URL [-o LOCAL] [--resume]

Downloads the file URL names. Without -o it lands in the current directory under its
remote name; -o FILE picks the name, -o DIR puts it in DIR, -o - writes it to stdout.
  -o, --output LOCAL      where to write
  --resume                continue a partial download: ask for the bytes after those the
                          local file already has (REST), appending them`,

  put: `Usage: ftpkit put LOCAL URL [--resume]

Uploads the local file LOCAL to URL. A URL ending in "/" means "into that directory, under
the local name". LOCAL - reads stdin (the URL must then name the file).
  --resume                continue a partial upload: ask the server how much it has (SIZE)
                          and send the rest (APPE)`,

  rm: `Usage: ftpkit rm [-r] URL

Deletes the file URL names.
  -r, --recursive         delete a directory with everything in it`,

  mkdir: `Usage: ftpkit mkdir URL

Creates the directory URL names and any missing parents; an existing directory is fine.`,

  mv: `Usage: ftpkit mv URL NEWPATH

Renames (or moves) what URL names. NEWPATH is taken relative to the directory that holds
it, unless it starts with "/":
  ftpkit mv ftp://host/docs/a.txt b.txt         docs/a.txt -> docs/b.txt
  ftpkit mv ftp://host/docs/a.txt ../a.txt      docs/a.txt -> a.txt
  ftpkit mv ftp://host/docs/a.txt /tmp/a.txt    docs/a.txt -> /tmp/a.txt`,

  mirror: `Usage: ftpkit mirror URL LOCALDIR
       ftpkit mirror --reverse LOCALDIR URL

Copies a directory tree: from the server into LOCALDIR, or with --reverse from LOCALDIR to
the server. A file is copied when it is missing on the other side, differs in size, or is
newer on the sending side; the others are skipped. Nothing is deleted on the receiving side.
  -R, --reverse           upload instead of download
  --include GLOB          copy only paths matching GLOB (repeatable)
  --exclude GLOB          skip paths matching GLOB (repeatable)
  --parallel N            transfer N files at once (1-16)`,

  shell: `Usage: ftpkit [shell] [URL]

Starts the interactive shell, connected to URL when one is given. --tls, --ca,
--insecure and --foreign-data-host hold for every open in it; open takes them too
(open --tls HOST, open --ca FILE ftps://HOST, open --foreign-data-host HOST). status
shows the TLS version and whether the data connections are protected. Type "help"
inside it.`,
};

/** The line shown under a usage error: the command's synopsis, or the general one. */
export function usageLine(verb: VerbName | undefined): string {
  if (verb === undefined) return 'Usage: ftpkit COMMAND [FLAGS] ARGS...  (ftpkit --help lists the commands)';
  const synopsis = VERB_HELP[verb].split('\n')[0] ?? `Usage: ftpkit ${verb}`;
  return `${synopsis}  (ftpkit help ${verb} for more)`;
}

export function verbHelp(verb: VerbName): string {
  return `${VERB_HELP[verb]}\n\n${COMMON_FLAGS}\n\n${URL_RULES}\n`;
}
