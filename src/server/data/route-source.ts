import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { addressFamily, normalizeAddress } from '../../protocol/index.js';

/** Long enough to spare nearly every transfer the probe, short enough to follow a route change. */
const TTL_MS = 60_000;
const MAX_ENTRIES = 1024;
const known = new Map<string, { source: string | undefined; until: number }>();

/**
 * The source address the kernel picks for a connection to `target`, learnt without a packet: a
 * UDP socket's connect() only looks the route up. Undefined when there is no route. Cached for a
 * minute per target, at most 1,024 targets.
 */
export function routeSource(target: string): string | undefined | Promise<string | undefined> {
  const hit = known.get(target);
  if (hit !== undefined && hit.until > Date.now()) return hit.source;
  return probe(target);
}

async function probe(target: string): Promise<string | undefined> {
  const family = addressFamily(target);
  if (family === 0) return undefined;
  const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
  let source: string | undefined;
  try {
    socket.connect(9, target);
    await once(socket, 'connect');
    source = normalizeAddress(socket.address().address);
  } catch {
    source = undefined;
  } finally {
    socket.close();
  }
  known.delete(target);
  known.set(target, { source, until: Date.now() + TTL_MS });
  for (const oldest of known.keys()) {
    if (known.size <= MAX_ENTRIES) break;
    known.delete(oldest);
  }
  return source;
}
