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

/** Blobs whose edges are read at once while marking: each is a small file to read and parse. */
const MARK_CONCURRENCY = 16;

/**
 * Walks the graph from the roots; returns every reachable digest and the descriptors that are
 * missing (each once). Up to MARK_CONCURRENCY blobs are looked at together (a store of a few
 * thousand trees is marked in a fraction of the time one read after another takes); the result
 * does not depend on the order. Rejects with the first error, once the reads under way settled.
 */
export async function mark(store: LocalContentStore, roots: Descriptor[], children: Children): Promise<{ live: Set<Digest>; missing: Descriptor[] }> {
  const live = new Set<Digest>();
  const missing: Descriptor[] = [];
  const seen = new Set<Digest>();
  const queue: Descriptor[] = [];
  const enqueue = (d: Descriptor) => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    queue.push(d);
  };
  const visit = async (d: Descriptor) => {
    if (!(await store.info(d.digest))) {
      missing.push(d);
      return;
    }
    live.add(d.digest);
    for (const c of await children(d)) enqueue(c);
  };
  roots.forEach(enqueue);
  await new Promise<void>((resolve, reject) => {
    let active = 0;
    let failure: { err: unknown } | undefined;
    const pump = () => {
      while (!failure && active < MARK_CONCURRENCY && queue.length > 0) {
        active++;
        visit(queue.pop()!).then(
          () => {
            active--;
            pump();
          },
          (err: unknown) => {
            active--;
            failure ??= { err };
            pump();
          },
        );
      }
      if (active === 0 && (failure || queue.length === 0)) {
        if (failure) reject(failure.err);
        else resolve();
      }
    };
    pump();
  });
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
    deleted.push(blob);
  }
  if (!opts.dryRun) await store.deleteMany(deleted.map((b) => b.digest)); // after the walk: packs are rewritten once each
  await store.cleanIngest();
  return { deleted, kept, reclaimedBytes: deleted.reduce((n, b) => n + b.size, 0) };
}
