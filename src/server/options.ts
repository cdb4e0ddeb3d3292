import type { Level } from 'pino';
import type { MetricsAddress } from './observe/metrics-endpoint.js';
import type { S3Location } from './fs/s3/location.js';

export interface PortRange {
  min: number;
  max: number;
}

/** Everything an FtpServer needs, validated once. CLI, config file and library users all end here. */
export interface ServerOptions {
  /** Folder served as "/" (created if missing). */
  root: string;
  /** Address to listen on: "127.0.0.1", "::1", "0.0.0.0", "::" (dual stack). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** JSON users file with scrypt hashes (see README). */
  usersFile?: string;
  anonymous: boolean;
  anonymousWrite: boolean;
  pasvRange?: PortRange;
  /** Address advertised in 227 replies instead of the control connection's local address (NAT). */
  pasvAddress?: string;
  /**
   * Connections from trustedProxies start with a PROXY protocol header (v1 or v2, HAProxy's
   * send-proxy), read before the greeting: the session then takes the client's address from it.
   */
  proxyProtocol: boolean;
  /** Networks (CIDR, or single addresses) whose PROXY headers are believed; needed by proxyProtocol. */
  trustedProxies?: readonly string[];
  maxConnections: number;
  maxConnectionsPerIp: number;
  idleTimeoutMs: number;
  dataTimeoutMs: number;
  /**
   * Binary downloads of local files go out with sendfile(2) where the add-on is built (Linux), never
   * through the process's memory; false reads them into buffers as on other systems.
   */
  sendfile: boolean;
  /** Base delay before a 530 for a wrong password; it grows with repeated failures from one IP. */
  failedLoginDelayMs: number;
  /** Failed logins after which a session is closed. */
  maxLoginFailures: number;
  /** Failed logins from one address that get it banned for banTimeMs; 0 never bans. */
  banAfter: number;
  /** The first ban's length; a further ban of the same address doubles it (up to a day). */
  banTimeMs: number;
  /** How long a connection may take to log in before it is closed (421). */
  loginTimeoutMs: number;
  /** How long a verified password spares the hash check on the account's next logins; 0: never. */
  authCacheTtlMs: number;
  /**
   * Password hash checks (scrypt, up to 32 MiB each) run at once, at most, and as many scrypt lanes
   * where the romix add-on computes them; more logins wait their turn.
   * Process-wide: every FtpServer in a process shares the one queue, the last one made sets it.
   */
  maxHashChecks: number;
  /** Connections not logged in yet, at most, across all addresses; more are refused (421). */
  maxUnauthenticated: number;
  /** On SIGINT/SIGTERM, how long running transfers may go on before they are cut. */
  shutdownTimeoutMs: number;
  /** Where to serve Prometheus metrics (GET /metrics); off when undefined. */
  metrics?: MetricsAddress;
  /** A file to append a line per file transfer to, in xferlog(5) format; off when undefined. */
  xferlog?: string;
  logLevel: Level | 'silent';
  /** How the CLI prints logs: undefined picks pretty on a terminal, JSON elsewhere. */
  logFormat?: 'json' | 'pretty';
  /** PEM certificate (a chain allowed) for FTPS; with tlsKey it enables AUTH TLS. */
  tlsCert?: string;
  /** PEM private key matching tlsCert. */
  tlsKey?: string;
  /** With a certificate: 'required' refuses non-anonymous logins and transfers outside TLS. */
  tlsPolicy: 'required' | 'optional';
  /** 'required': a protected data connection must resume its own control connection's TLS session. */
  tlsSessionReuse: 'required' | 'optional';
  /** Also listen here for implicit FTPS (TLS from the first byte), on `host`; 0 picks a free port. */
  implicitTlsPort?: number;
  /**
   * Files in an S3 bucket (s3://BUCKET[/PREFIX]) instead of on the local disk under `root`; each
   * account's home (a folder under `root`) becomes a key prefix there.
   */
  store?: S3Location;
  /** The S3-compatible endpoint's URL (http://127.0.0.1:8080); undefined: AWS. */
  s3Endpoint?: string;
  /** The S3 region; undefined: AWS_REGION, else us-east-1. */
  s3Region?: string;
  /** Bucket in the URL's path rather than its host name (most non-AWS engines). */
  s3PathStyle: boolean;
  /** Where the CLI keeps its generated account; undefined: $XDG_STATE_HOME/ftpkitd or ~/.local/state/ftpkitd. */
  stateDir?: string;
}

export const defaultOptions: ServerOptions = {
  root: './ftp-root',
  host: '127.0.0.1',
  port: 2121,
  anonymous: false,
  anonymousWrite: false,
  proxyProtocol: false,
  maxConnections: 1000,
  maxConnectionsPerIp: 100,
  idleTimeoutMs: 300_000,
  dataTimeoutMs: 30_000,
  sendfile: true,
  failedLoginDelayMs: 1000,
  maxLoginFailures: 3,
  banAfter: 5,
  banTimeMs: 600_000,
  loginTimeoutMs: 60_000,
  authCacheTtlMs: 600_000,
  maxHashChecks: 2,
  maxUnauthenticated: 500,
  shutdownTimeoutMs: 10_000,
  logLevel: 'info',
  tlsPolicy: 'required',
  tlsSessionReuse: 'required',
  s3PathStyle: false,
};
