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
