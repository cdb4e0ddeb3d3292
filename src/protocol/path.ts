/**
 * FTP paths are POSIX strings on the wire whatever the server's OS: "/" is the only separator and
 * a backslash is an ordinary character (treating it as a separator is how Windows servers have
 * been escaped from).
 */

/** Applies the segments of `path` to `stack`; ".." stops at the root instead of climbing above it. */
function walk(stack: string[], path: string): void {
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') stack.pop();
    else stack.push(segment);
  }
}

/**
 * Resolves `input` against the session's `cwd` (taken as absolute). The result is absolute and
 * normalised: no ".", "..", empty or trailing segments, never above "/". An absolute input ignores
 * cwd; "" gives the (normalised) cwd.
 */
export function resolvePath(cwd: string, input: string): string {
  const stack: string[] = [];
  if (!input.startsWith('/')) walk(stack, cwd);
  walk(stack, input);
  return `/${stack.join('/')}`;
}

/**
 * Last segment of the path once resolved from "/": never ".", ".." or a string with "/", and ""
 * for the root. Safe to use as a local file name component (apart from OS-specific characters).
 */
export function baseName(path: string): string {
  const resolved = resolvePath('/', path);
  return resolved.slice(resolved.lastIndexOf('/') + 1);
}

/** Parent of the path once resolved from "/"; the parent of "/" is "/". */
export function parentPath(path: string): string {
  const resolved = resolvePath('/', path);
  const slash = resolved.lastIndexOf('/');
  return slash <= 0 ? '/' : resolved.slice(0, slash);
}

/**
 * A name from a server listing that is one path component, so that joining it to a directory
 * stays inside that directory: not empty, not "." or "..", no "/" and no NUL.
 */
export function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}
