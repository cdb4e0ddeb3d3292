import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { DataConnectionError } from '../../protocol/index.js';
import { describeSocketError } from './socket-error.js';

/** An inclusive range of TCP ports for passive listeners (what firewalls are opened for). */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

export interface ListenOptions {
  readonly host: string;
  readonly range?: PortRange | undefined;
  /** A passive listener expects one connection, so a long accept queue only helps a flood. */
  readonly backlog: number;
}

/*
 * The only shared state: where the next search starts. Starting each search where the last one
 * ended keeps concurrent sessions from all fighting over the first ports of the range, and the
 * random start keeps a restarted server from reusing the ports its predecessor just left.
 */
let cursor = Math.floor(Math.random() * 65536);

/** Random picks before leaving the choice to the kernel after all. */
const RANDOM_TRIES = 16;
/** IANA's dynamic ports, where the system does not say its own range. */
const IANA_DYNAMIC: PortRange = { min: 49152, max: 65535 };
let ephemeral: PortRange | undefined;

/**
 * The range the kernel hands out for port 0, read once. We pick from it ourselves: Linux finds a
 * port for bind(port 0) by walking the range and skipping every port that a closed data
 * connection still holds in TIME_WAIT, and after a few thousand small transfers that walk costs
 * milliseconds per PASV. Binding a chosen port (Node sets SO_REUSEADDR) is not slowed by them.
 */
export function ephemeralRange(): PortRange {
  if (ephemeral !== undefined) return ephemeral;
  ephemeral = IANA_DYNAMIC;
  try {
    const text = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const [min = Number.NaN, max = Number.NaN] = text.trim().split(/\s+/).map(Number);
    validatePortRange({ min, max });
    ephemeral = { min, max };
  } catch {
    // Not Linux, or a range we cannot read: the IANA range it is.
  }
  return ephemeral;
}

export function validatePortRange(range: PortRange): void {
  const { min, max } = range;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new RangeError(`Invalid passive port range ${min}-${max}: use 1 <= min <= max <= 65535.`);
  }
}

/**
 * Makes `server` listen on host, on a free port of the range (any free port without a range), and
 * resolves with the port. Ports taken by other listeners are skipped; when every port of the range
 * is taken, rejects with a 425 DataConnectionError so the client can retry later.
 */
export async function listenOnFreePort(server: Server, options: ListenOptions): Promise<number> {
  const { host, range, backlog } = options;
  if (range === undefined) {
    const range = ephemeralRange();
    for (let attempt = 0; attempt < RANDOM_TRIES; attempt++) {
      const port = randomOddPort(range);
      if (await bind(server, host, port, backlog)) return port;
    }
    await bind(server, host, 0, backlog);
    return boundPort(server);
  }
  validatePortRange(range);
  const size = range.max - range.min + 1;
  const start = cursor % size;
  cursor = (start + 1) % size;
  for (let step = 0; step < size; step++) {
    const offset = (start + step) % size;
    const port = range.min + offset;
    if (await bind(server, host, port, backlog)) {
      cursor = (offset + 1) % size;
      return port;
    }
  }
  throw new DataConnectionError('No passive port available.');
}

/**
 * A random odd port of the range (any port of a range without one). Linux gives outgoing
 * connections even ports first and bind(port 0) odd ones, and so do we: every upload leaves its
 * client's even port in TIME_WAIT for a minute, and on loopback those clients are local, so an
 * even pick often found its port taken (one listen() attempt and one error object wasted).
 */
export function randomOddPort({ min, max }: PortRange): number {
  const first = min % 2 === 1 ? min : min + 1;
  if (first > max) return min;
  return first + 2 * randomInt(Math.floor((max - first) / 2) + 1);
}

/** Resolves true once listening, false when the port is taken; other failures reject. */
async function bind(server: Server, host: string, port: number, backlog: number): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const onListening = (): void => {
      server.off('error', onError);
      resolve(true);
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        resolve(false);
      } else {
        reject(
          new DataConnectionError(`Can't open passive port on ${host}: ${describeSocketError(error)}.`, {
            cause: error,
          }),
        );
      }
    };
    server.once('listening', onListening);
    server.once('error', onError);
    // exclusive: a cluster worker must own its passive port, not share the primary's handle.
    server.listen({ host, port, backlog, exclusive: true });
  });
}

function boundPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('A passive listener must be bound to a TCP port.');
  }
  return address.port;
}
