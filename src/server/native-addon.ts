import { createRequire } from 'node:module';

/**
 * One of ftpkitd's add-ons (native/NAME), as `npm install` built it (scripts/build-native.js), or
 * undefined: they are built on Linux with a C compiler only, and the server does without them.
 */
export function loadNativeAddon(name: 'sendfile' | 'romix'): unknown {
  if (process.platform !== 'linux') return undefined;
  try {
    // From build/src/server/, where this module is once compiled.
    return createRequire(import.meta.url)(`../../../native/${name}/build/Release/${name}.node`);
  } catch {
    return undefined;
  }
}

/**
 * For the startup log: the add-on `name` is missing on a system where it belongs (Linux), and what
 * the server does without it; undefined when it is built or does not belong.
 */
export function missingAddon(
  name: 'sendfile' | 'romix',
  without: string,
  built: boolean,
  platform: string = process.platform,
): string | undefined {
  if (platform !== 'linux' || built) return undefined;
  return `the ${name} add-on is not built (npm run build:native needs a C compiler): ${without}`;
}
