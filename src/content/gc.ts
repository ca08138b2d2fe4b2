/**
 * Garbage collection of the content store: mark every blob reachable from the roots, sweep the rest.
 *
 * Writers that ingest blobs and then reference them (import, load, commit, snapshot) hold the store
 * lock shared for the whole operation; GC holds it exclusive. So GC never sees a blob that is
 * written but not yet referenced, and no writer sees its blobs vanish. Roots and the edges between
 * blobs are given by the caller (ops/gc.ts knows every kind of record); this file knows none.
 */
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import type { Descriptor } from '../core/oci.js';
import { FileLock, withLock } from '../platform/file-lock.js';
import type { BlobInfo } from './content-store.js';
import type { LocalContentStore } from './local-store.js';

export type Children = (desc: Descriptor) => Promise<Descriptor[]>;

export interface GcResult {
  deleted: BlobInfo[];
  kept: number;
  reclaimedBytes: number;
  /** Referenced blobs the store does not have (reported by `system check`). */
  missing: Descriptor[];
}

export function storeLockPath(root: string): string {
  return join(root, 'locks', 'store.lock');
}

/** Shared store lock for an operation that writes blobs and then references them. */
export async function withStoreWrite<T>(root: string, fn: () => Promise<T>): Promise<T> {
  return withLock(storeLockPath(root), { exclusive: false, what: 'the store (garbage collection running)', timeoutMs: 600_000 }, fn);
}

export async function acquireStoreExclusive(root: string, timeoutMs = 60_000): Promise<FileLock> {
  return FileLock.acquire(storeLockPath(root), { exclusive: true, timeoutMs, what: 'the store (another command is writing)' });
}

/** Walks the graph from the roots; returns every reachable digest and the descriptors that are missing. */
export async function mark(store: LocalContentStore, roots: Descriptor[], children: Children): Promise<{ live: Set<Digest>; missing: Descriptor[] }> {
  const live = new Set<Digest>();
  const missing: Descriptor[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (live.has(d.digest)) continue;
    if (!(await store.info(d.digest))) {
      missing.push(d);
      continue;
    }
    live.add(d.digest);
    stack.push(...(await children(d)));
  }
  return { live, missing };
}

/** Deletes every blob not reachable from the roots. Call with the store lock held exclusive. */
export async function sweep(store: LocalContentStore, live: Set<Digest>, opts: { dryRun?: boolean } = {}): Promise<Omit<GcResult, 'missing'>> {
  const deleted: BlobInfo[] = [];
  let kept = 0;
  for await (const blob of store.walk()) {
    if (live.has(blob.digest)) {
      kept++;
      continue;
    }
    if (!opts.dryRun) await store.delete(blob.digest);
    deleted.push(blob);
  }
  await store.cleanIngest();
  return { deleted, kept, reclaimedBytes: deleted.reduce((n, b) => n + b.size, 0) };
}
