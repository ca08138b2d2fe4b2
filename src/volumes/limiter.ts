/**
 * Bounded concurrency for many small async jobs (the lstat calls of one directory): async fs calls
 * go to libuv's thread pool, and a few dozen in flight hide disk latency without flooding it.
 */
/**
 * Runs `fn` over `items` with at most `size` at once; resolves when all are done, rejects with
 * the first error after the ones already running have settled.
 */
export async function forEachLimited<T>(items: readonly T[], size: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  if (failed) throw failed.err;
}
