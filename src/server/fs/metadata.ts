import * as fs from 'node:fs';
import type { Stats } from 'node:fs';

/*
 * Metadata calls run synchronously. On a local disk each takes microseconds, while a round trip
 * through libuv's thread pool costs around a hundred times that, and one small-file transfer makes
 * several such calls in a row (realpath, open, fstat, rename): done asynchronously, the waiting
 * dominated (bench/README.md, small files). File contents still move through asynchronous
 * streams, and list() stays asynchronous, so a big directory or a slow disk never blocks the loop
 * for long. The functions keep promise signatures so callers read the same either way.
 */

/* For the callers that answer at once when they can (opening a file to download or upload). */
export const realpathNow = (path: string): string => fs.realpathSync.native(path);
export const statNow = (path: string): Stats => fs.statSync(path);
export const lstatNow = (path: string): Stats => fs.lstatSync(path);
/** lstat, or undefined for a missing entry: no error (and its stack trace) built for a new name. */
export const lstatIfExists = (path: string): Stats | undefined =>
  fs.lstatSync(path, { throwIfNoEntry: false });
export const unlinkNow = (path: string): void => {
  fs.unlinkSync(path);
};

export const realpath = (path: string): Promise<string> => settle(() => realpathNow(path));
export const stat = (path: string): Promise<Stats> => settle(() => statNow(path));
export const lstat = (path: string): Promise<Stats> => settle(() => lstatNow(path));
export const rename = (from: string, to: string): Promise<void> => settle(() => fs.renameSync(from, to));
/** A second name for a file; fails with EEXIST when `to` is taken, where rename would replace it. */
export const link = (from: string, to: string): Promise<void> => settle(() => fs.linkSync(from, to));
export const unlink = (path: string): Promise<void> => settle(() => unlinkNow(path));
export const mkdir = (path: string): Promise<void> =>
  settle(() => {
    fs.mkdirSync(path);
  });
export const rmdir = (path: string): Promise<void> => settle(() => fs.rmdirSync(path));
export const chmod = (path: string, mode: number): Promise<void> => settle(() => fs.chmodSync(path, mode));
export const utimes = (path: string, atime: Date, mtime: Date): Promise<void> =>
  settle(() => fs.utimesSync(path, atime, mtime));

/** The call happens now; its outcome, value or error, comes as a promise. */
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
