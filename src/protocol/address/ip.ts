import { isIP, isIPv4 } from 'node:net';

/** Parses a valid IPv6 literal (no zone, no brackets) into its eight 16-bit groups. */
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  if (isIPv4(dotted)) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    // Two placeholder groups keep the "::" arithmetic right; the real values go in below.
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const toGroups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const gap = text.indexOf('::');
  let groups: number[];
  if (gap === -1) {
    groups = toGroups(text);
  } else {
    const head = toGroups(text.slice(0, gap));
    const rest = toGroups(text.slice(gap + 2));
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  if (tail.length > 0) groups.splice(6, 2, ...tail);
  return groups.length === 8 ? groups : undefined;
}

/** RFC 5952 text form: lower-case, no leading zeros, the longest run of 2+ zero groups as "::". */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function isMappedIpv4(groups: readonly number[]): boolean {
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
}

/**
 * The one place where peer addresses are made comparable: brackets and a zone index ("%eth0") are
 * removed, an IPv4-mapped IPv6 address ("::ffff:1.2.3.4", any case, also in hex form) becomes
 * plain IPv4, and any other IPv6 address takes its canonical RFC 5952 form (lower-case,
 * compressed), so "0:0:0:0:0:0:0:1" and "::1" come out equal. Anything that is not an IP literal
 * (a host name) is returned trimmed and lower-cased.
 */
export function normalizeAddress(address: string): string {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  // Without a colon it is no IPv6 literal: the common dotted IPv4 case skips the parsing.
  if (!text.includes(':')) return text.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const groups = ipv6Groups(text);
  if (groups === undefined) return text.toLowerCase();
  if (isMappedIpv4(groups)) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return formatIpv6(groups);
}

/**
 * 4 or 6 for an IP literal after normalisation (so an IPv4-mapped address counts as IPv4: that
 * is the family the peer really speaks), 0 for anything else.
 */
export function addressFamily(address: string): 4 | 6 | 0 {
  const family = isIP(normalizeAddress(address));
  return family === 4 || family === 6 ? family : 0;
}

/** Whether two addresses name the same host once normalised (see normalizeAddress). */
export function sameHost(a: string, b: string): boolean {
  return a === b || normalizeAddress(a) === normalizeAddress(b);
}
