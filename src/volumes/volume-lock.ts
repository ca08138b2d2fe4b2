/**
 * One lock per volume (`locks/volume-<name>.lock`, flock, exclusive): a snapshot, a restore, an
 * import and a removal of the same volume never run at the same time. Taken before the store lock
 * (never the other way round), so the two cannot deadlock with garbage collection.
 */
import { join } from 'node:path';
import { storeLayout } from '../core/layout.js';
import { withLock } from '../platform/file-lock.js';
import { validateVolumeName } from './volume-store.js';

export function volumeLockPath(root: string, name: string): string {
  validateVolumeName(name);
  return join(storeLayout(root).locks, `volume-${name}.lock`);
}

export async function withVolumeLock<T>(root: string, name: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  return withLock(volumeLockPath(root, name), { exclusive: true, timeoutMs, what: `volume ${name} (a snapshot, restore or import of it is running)` }, fn);
}
