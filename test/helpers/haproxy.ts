import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { findCommand } from './peers.js';
import { startProcess, type ProcessHandle } from './process.js';

/** A backend server HAProxy balances to. */
export interface Backend {
  host: string;
  port: number;
  /**
   * The node's --pasv-range: HAProxy listens on these ports too and forwards each to the same
   * port on this node only, with a PROXY header, so that every data port is reached through it.
   */
  pasvRange?: { min: number; max: number };
}

export interface HaproxyOptions {
  /** Where the config file goes. */
  dir: string;
  backends: readonly Backend[];
  /** The address HAProxy connects to the backends from (its `source`): the nodes' trusted proxy. */
  source: string;
  /** 'v1' sends `send-proxy`, 'v2' `send-proxy-v2`. */
  proxyProtocol: 'v1' | 'v2';
  /** The address HAProxy listens on; 127.0.0.1 unless given. */
  host?: string;
}

export interface Haproxy {
  host: string;
  port: number;
  handle: ProcessHandle;
  stop(): Promise<void>;
}

/** A port free on loopback now (HAProxy binds a port it is given, it cannot pick one). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function accepting(host: string, port: number): Promise<boolean> {
  const socket = connect({ host, port });
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/**
 * HAProxy in TCP mode in the foreground (-db), balancing round-robin over `backends` with PROXY
 * headers, on a free loopback port, and forwarding each backend's passive range to it; resolves
 * once it accepts connections.
 */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const command = findCommand('haproxy');
  if (command === undefined) throw new Error('haproxy is not installed');
  const host = options.host ?? '127.0.0.1';
  const port = await freePort(host);
  const send = options.proxyProtocol === 'v2' ? 'send-proxy-v2' : 'send-proxy';
  const config = [
    'global',
    '    maxconn 256',
    'defaults',
    '    mode tcp',
    '    timeout connect 5s',
    '    timeout client 60s',
    '    timeout server 60s',
    'frontend ftp',
    `    bind ${host}:${port}`,
    '    default_backend nodes',
    'backend nodes',
    '    balance roundrobin',
    ...options.backends.map(
      (backend, i) =>
        `    server node${i + 1} ${backend.host}:${backend.port} ${send} source ${options.source}`,
    ),
    // A server without a port is reached on the port the client connected to.
    ...options.backends.flatMap((backend, i) =>
      backend.pasvRange === undefined
        ? []
        : [
            `frontend pasv-node${i + 1}`,
            `    bind ${host}:${backend.pasvRange.min}-${backend.pasvRange.max}`,
            `    default_backend pasv-node${i + 1}`,
            `backend pasv-node${i + 1}`,
            `    server node${i + 1} ${backend.host} ${send} source ${options.source}`,
          ],
    ),
    '',
  ].join('\n');
  const file = join(options.dir, `haproxy-${port}.cfg`);
  await writeFile(file, config);
  const handle = await startProcess(command, ['-db', '-f', file]);
  const deadline = Date.now() + 10_000;
  // HAProxy prints nothing when it is ready; a connection it accepts says so. It reaches a node as
  // a session that closes at once: the tests count round-robin turns from their own connections.
  while (!(await accepting(host, port))) {
    if (handle.hasExited() || Date.now() > deadline) {
      await handle.stop();
      throw new Error(`haproxy did not start: ${handle.stderr()}${handle.stdout()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { host, port, handle, stop: () => handle.stop() };
}
