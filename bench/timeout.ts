/** Rejects with a labelled error when `promise` has not settled within `ms`; the timer never outlives it. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${label}: no result within ${(ms / 1000).toFixed(1)} s`));
    }, ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

/** Polls `probe` until it returns a value, or throws once `ms` have passed. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  ms: number,
  label: string,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${label}: not reached within ${(ms / 1000).toFixed(1)} s`);
    await sleep(intervalMs);
  }
}
