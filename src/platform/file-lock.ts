/**
 * Cross-process locks on the local machine: flock(2) on a lock file. The kernel drops the lock
 * when its holder dies, so there are no stale locks to clean up. Shared locks for readers and
 * writers that can run side by side (two `run`s), exclusive for what must be alone (refs update, GC).
 * Waiting polls without blocking the event loop.
 */
import { open, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockedError } from '../core/errors.js';
import { native } from './native.js';

export interface LockOptions {
  exclusive?: boolean;
  /** How long to wait for a holder to let go; 0 fails at once. Default 60 s. */
  timeoutMs?: number;
  /** Named in the error when the wait times out. */
  what?: string;
}

export class FileLock {
  private constructor(private readonly fh: FileHandle, readonly path: string) {}

  static async acquire(path: string, opts: LockOptions = {}): Promise<FileLock> {
    const exclusive = opts.exclusive ?? true;
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'a+', 0o600);
    let delay = 5;
    for (;;) {
      if (native.flock(fh.fd, exclusive)) return new FileLock(fh, path);
      if (Date.now() >= deadline) {
        await fh.close();
        throw new LockedError(`${opts.what ?? path} is locked by another Lifeboat process`, {
          hint: 'wait for the other command to finish and try again',
          data: { lock: path },
        });
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  }

  async release(): Promise<void> {
    await this.fh.close(); // closing the descriptor releases the flock
  }
}

export async function withLock<T>(path: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await FileLock.acquire(path, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
