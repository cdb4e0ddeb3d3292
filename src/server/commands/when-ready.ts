/**
 * Runs `use` on a value that may still be on its way: at once when it is here (the handler then
 * finishes within this turn and returns nothing), else once the promise resolves. The session
 * runs a handler that returns no promise without any extra turn of the event loop.
 */
export function whenReady<T>(value: T | Promise<T>, use: (value: T) => void): Promise<void> | undefined {
  if (value instanceof Promise) return value.then(use);
  use(value);
  return undefined;
}
