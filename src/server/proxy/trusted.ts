import { BlockList, isIP } from 'node:net';
import { normalizeAddress } from '../../protocol/index.js';

/** One network in CIDR notation, checked and normalised. */
export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/**
 * "10.0.0.0/8", "2001:db8::/32", or a single address (a /32 or /128). An IPv4-mapped IPv6 network
 * ("::ffff:10.0.0.0/104") becomes its IPv4 one, since peer addresses are compared in that form.
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const raw = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefixText = slash === -1 ? undefined : trimmed.slice(slash + 1);
  const rawFamily = isIP(raw);
  if (rawFamily === 0) throw new Error(`${JSON.stringify(text)} is not an IP address or CIDR network`);
  const width = rawFamily === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
    throw new Error(`${JSON.stringify(text)} has no valid prefix length`);
  }
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (prefix > width) throw new Error(`${JSON.stringify(text)} has a prefix longer than ${width} bits`);
  const address = normalizeAddress(raw);
  if (rawFamily === 6 && isIP(address) === 4) {
    if (prefix < 96) throw new Error(`${JSON.stringify(text)} reaches past the IPv4-mapped range`);
    return { address, prefix: prefix - 96, family: 4 };
  }
  return { address, prefix, family: rawFamily === 4 ? 4 : 6 };
}

/** The load balancers whose PROXY headers are believed (--trusted-proxies). */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** Throws for a network that parseCidr refuses. */
  constructor(networks: readonly string[]) {
    for (const network of networks) {
      const { address, prefix, family } = parseCidr(network);
      this.list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    this.size = networks.length;
  }

  /** Whether a peer address (as a socket reports it, IPv4-mapped or not) is a trusted proxy. */
  has(address: string): boolean {
    const normal = normalizeAddress(address);
    const family = isIP(normal);
    if (family === 0) return false;
    return this.list.check(normal, family === 4 ? 'ipv4' : 'ipv6');
  }
}
