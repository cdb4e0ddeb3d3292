import { readFile } from 'node:fs/promises';

/** The package's version, from the package.json the build sits in. */
export async function packageVersion(): Promise<string> {
  // build/src/server/cli/version.js -> the package root.
  const text = await readFile(new URL('../../../../package.json', import.meta.url), 'utf8');
  const parsed = JSON.parse(text) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}
