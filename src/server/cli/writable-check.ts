import { access, constants } from 'node:fs/promises';
import type { Account } from '../auth/account.js';

export interface UnwritableFolder {
  folder: string;
  /** The accounts that may write there. */
  users: string[];
}

/**
 * The folders that accounts may write to but the server's own user cannot: every upload, mkdir,
 * delete and rename there would fail with 550, so the operator hears of it at startup.
 */
export async function unwritableFolders(accounts: readonly Account[]): Promise<UnwritableFolder[]> {
  const byFolder = new Map<string, string[]>();
  for (const account of accounts) {
    if (!account.writable) continue;
    byFolder.set(account.home, [...(byFolder.get(account.home) ?? []), account.user]);
  }
  const found: UnwritableFolder[] = [];
  for (const [folder, users] of byFolder) {
    try {
      await access(folder, constants.W_OK);
    } catch {
      found.push({ folder, users });
    }
  }
  return found;
}
