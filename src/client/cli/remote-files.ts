import { isPermanentFailure } from '../../protocol/index.js';
import type { FtpClient } from '../client.js';
import { FtpReplyError } from '../errors.js';
import { printable } from './terminal-text.js';

/**
 * DELE; when the server refuses because the path is a directory, the reply error says so and how
 * to remove one (`hint`) after the server's text, instead of a bare "550".
 */
export async function removeFile(client: FtpClient, path: string, hint: string): Promise<void> {
  try {
    await client.remove(path);
  } catch (error) {
    if (!(error instanceof FtpReplyError) || !isPermanentFailure(error.replyCode)) throw error;
    if (await client.isDirectory(path).catch(() => false)) {
      const text = `${error.reply.text} (${printable(path)} is a directory: ${hint})`;
      throw new FtpReplyError(error.command, { ...error.reply, text });
    }
    throw error;
  }
}
