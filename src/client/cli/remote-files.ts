import { isPermanentFailure } from '../../protocol/index.js';
import type { FtpClient } from '../client.js';
import { FtpReplyError } from '../errors.js';
import { printable, withHint } from './terminal-text.js';

/**
 * DELE; when the server refuses because the path is a directory, the error says so and how to
 * remove one (`hint`), instead of the server's bare "550".
 */
export async function removeFile(client: FtpClient, path: string, hint: string): Promise<void> {
  try {
    await client.remove(path);
  } catch (error) {
    if (!(error instanceof FtpReplyError) || !isPermanentFailure(error.replyCode)) throw error;
    if (await client.isDirectory(path).catch(() => false)) {
      throw withHint(error, `${printable(path)} is a directory: ${hint}`);
    }
    throw error;
  }
}
