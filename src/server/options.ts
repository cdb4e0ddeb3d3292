import type { Level } from 'pino';

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
  maxConnections: number;
  maxConnectionsPerIp: number;
  idleTimeoutMs: number;
  dataTimeoutMs: number;
  /** Base delay before a 530 for a wrong password; it grows with repeated failures from one IP. */
  failedLoginDelayMs: number;
  /** Failed logins after which a session is closed. */
  maxLoginFailures: number;
  /** On SIGINT/SIGTERM, how long running transfers may go on before they are cut. */
  shutdownTimeoutMs: number;
  logLevel: Level | 'silent';
}

export const defaultOptions: ServerOptions = {
  root: './ftp-root',
  host: '127.0.0.1',
  port: 2121,
  anonymous: false,
  anonymousWrite: false,
  maxConnections: 1000,
  maxConnectionsPerIp: 100,
  idleTimeoutMs: 300_000,
  dataTimeoutMs: 30_000,
  failedLoginDelayMs: 1000,
  maxLoginFailures: 3,
  shutdownTimeoutMs: 10_000,
  logLevel: 'info',
};
