import { addressFamily, normalizeAddress } from '../../protocol/index.js';

/**
 * An address to hand to bind/connect. A dual-stack socket reports IPv4 peers as "::ffff:a.b.c.d";
 * the plain IPv4 form works with any socket, also where IPv6 sockets are v6-only. Other IPv6
 * addresses stay as given, because full normalisation drops the zone ("%eth0") that a link-local
 * address needs to be usable.
 */
export function socketAddress(address: string): string {
  return addressFamily(address) === 4 ? normalizeAddress(address) : address;
}
