import { loadNativeAddon, missingAddon } from '../native-addon.js';

/** A transfer under way on its own thread (an opaque handle of the add-on). */
export interface SendfileHandle {
  readonly __sendfileHandle: never;
}

/**
 * native/sendfile: sendfile(2) from a file to a socket on a thread of its own. Both descriptors are
 * duplicated at start(), so the caller may close its own at any time.
 */
export interface SendfileAddon {
  /** `done(errno, sent)` runs on the main thread once: errno 0 when every byte went, or the file ended. */
  start(
    socketFd: number,
    fileFd: number,
    offset: number,
    length: number,
    done: (errno: number, sent: number) => void,
  ): SendfileHandle;
  /** Stops the thread before its next sendfile(); done() then gets ECANCELED. */
  cancel(handle: SendfileHandle): void;
  /** Bytes the kernel has taken so far. */
  sent(handle: SendfileHandle): number;
}

/**
 * The add-on, or why there is none: it is built by `npm install` (scripts/build-native.js) on
 * Linux with a C compiler, and the server reads files into buffers without it.
 */
export const sendfileAddon = loadNativeAddon('sendfile') as SendfileAddon | undefined;

/**
 * For the startup log: why downloads that should go out with sendfile (`wanted`: on, and files on
 * the local disk) will not, on a system where the add-on belongs; undefined when they will.
 */
export function missingSendfile(
  wanted: boolean,
  platform: string = process.platform,
  built: boolean = sendfileAddon !== undefined,
): string | undefined {
  if (!wanted) return undefined;
  return missingAddon('sendfile', 'downloads are read into buffers, at more CPU per byte', built, platform);
}
