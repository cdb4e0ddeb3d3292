import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode } from '../fs/errors.js';

/** A users file that others could change: refused, as sshd's StrictModes refuses such keys. */
export class UnsafeUsersFileError extends Error {
  override name = 'UnsafeUsersFileError';
}

const GROUP_OR_WORLD_WRITABLE = 0o022;
const STICKY = 0o1000;

/**
 * Whoever can write the users file can add an account, so it must be writable by its owner only,
 * and owned by root or by the server's own user. Its folder must not let others swap the file:
 * writable by group or world only with the sticky bit (as /tmp).
 */
export async function checkUsersFilePermissions(file: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(file);
  } catch (err) {
    // A missing or unreadable file is the loader's to report.
    if (errnoCode(err) !== undefined) return;
    throw err;
  }
  const uid = process.getuid?.();
  if ((info.mode & GROUP_OR_WORLD_WRITABLE) !== 0) {
    throw new UnsafeUsersFileError(
      `users file ${file} is writable by ${whoElse(info.mode)} (mode ${octal(info.mode)}); ` +
        `anyone who can write it can add an account: chmod 600 ${file}`,
    );
  }
  if (uid !== undefined && info.uid !== 0 && info.uid !== uid) {
    throw new UnsafeUsersFileError(
      `users file ${file} belongs to user id ${info.uid}, neither root nor the server's user (${uid}); ` +
        `that user could add an account: chown it to root or to the server's user`,
    );
  }
  const folder = dirname(file);
  const parent = await stat(folder);
  if ((parent.mode & GROUP_OR_WORLD_WRITABLE) !== 0 && (parent.mode & STICKY) === 0) {
    throw new UnsafeUsersFileError(
      `users file ${file} is in ${folder}, writable by ${whoElse(parent.mode)} (mode ${octal(parent.mode)}), ` +
        `where anyone who can write could replace the file: move it or chmod go-w ${folder}`,
    );
  }
}

function whoElse(mode: number): string {
  if ((mode & 0o002) !== 0) return 'everyone';
  return 'its group';
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
