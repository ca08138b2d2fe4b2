/**
 * A counting semaphore for bounded concurrency (uploads in flight, connections per backend), and
 * `forEachLimit`, which runs a worker over items with at most `n` at once and stops at the first
 * failure. Waiters are served first come, first served.
 */

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  /**
   * Resolves once a slot has been free (without keeping it): lets producers pause instead of piling
   * up work. Waits at most one turn, so waiters cannot pass a slot among themselves forever.
   */
  async room(): Promise<void> {
    if (this.active < this.limit) return;
    const release = await this.acquire();
    release();
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Runs `fn` for every item with at most `n` running; rejects with the first error once running ones settle. */
export async function forEachLimit<T>(items: Iterable<T>, n: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  let failed: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let r = it.next(); !r.done && !failed; r = it.next()) {
      try {
        await fn(r.value);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
  if (failed) throw failed.err;
}
