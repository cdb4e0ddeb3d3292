import { readdirSync, readlinkSync } from 'node:fs';

/** How many descriptors this process has open on `file` (a real path), from /proc. */
export function descriptorsOn(file: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // Closed while we looked (the directory's own descriptor, for one).
    }
  }
  return count;
}
