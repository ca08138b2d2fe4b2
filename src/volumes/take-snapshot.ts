/**
 * `volume snapshot`: the volume's directory → a snapshot record in the store and a ref to it.
 *
 * Order (what makes a kill -9 harmless): under the volume lock and the shared store lock (so GC
 * cannot collect blobs before the record refers to them), the writers are held (Quiescer), the
 * tree is read into chunk and tree blobs through durability batches, the writers are released,
 * the last batch is flushed, the record blob is written and fsync'ed, and only then the ref. A
 * crash before the ref leaves unreferenced blobs (collected by the next GC, or reused by the next
 * snapshot) and no snapshot. The parent is the volume's newest snapshot whose chunks are in this
 * store (a backup passes its own, whose chunks are in its repository).
 *
 * With a `sink` (a backup: the repository's packs), new chunks go to the sink as they are read and
 * never touch the local store; trees go to both (the local ones are what the next backup compares
 * against). The sink's new blobs are the record's addedBytes / newBlobs. A crash then leaves
 * unreferenced trees here and whatever packs the sink wrote (a repository adopts those).
 */
import { hostname } from 'node:os';
import type { ChunkerParams } from '../core/chunker.js';
import { MediaType } from '../core/media-types.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { encodeRecord } from '../core/volume-snapshot-format.js';
import { withStoreWrite } from '../content/gc.js';
import type { LocalContentStore } from '../content/local-store.js';
import type { BlobSink } from './blob-sink.js';
import { noQuiescer, type Quiescer } from './quiescer.js';
import { readTree, snapshotRecord, type ReadTree } from './read-tree.js';
import { CREATED, SnapshotRefs, type SnapshotInfo } from './snapshot-refs.js';
import { withVolumeLock } from './volume-lock.js';
import type { VolumeStore } from './volume-store.js';
import { prestartWorkers } from './worker-pool.js';

export interface TakeSnapshotOptions {
  tags?: string[];
  labels?: Record<string, string>;
  /** Read every file even if unchanged since the parent (default: use the newest snapshot as parent). */
  noParent?: boolean;
  /** The parent (a backup passes its own); default: the newest snapshot whose chunks are in this store. */
  parent?: SnapshotInfo;
  quiescer?: Quiescer;
  /**
   * Write the snapshot's ref here (default true). A backup passes false and writes the ref itself,
   * already marked as held in its repository, only once the push succeeded: a backup cut off
   * mid-way then leaves nothing but unreferenced blobs for GC.
   */
  writeRef?: boolean;
  chunker?: ChunkerParams;
  /** Where new chunks (and, besides the store, trees) go: see blob-sink.ts. Default: the store only. */
  sink?: BlobSink;
  /** I/O worker threads (default: the CPU count, 2 to 4). */
  workers?: number;
  progress?: Progress;
  signal?: AbortSignal;
}

export async function takeSnapshot(content: LocalContentStore, volumes: VolumeStore, name: string, opts: TakeSnapshotOptions = {}): Promise<SnapshotInfo> {
  const meta = await volumes.get(name);
  prestartWorkers(opts.workers); // they start while the locks are taken and the parent is found
  const refs = new SnapshotRefs(content.root);
  return withVolumeLock(content.root, name, () =>
    withStoreWrite(content.root, async () => {
      const parent = opts.noParent ? undefined : (opts.parent ?? (await refs.latest(content, name, (r) => r.heldIn === undefined)));
      await volumes.repair(name);
      const task = (opts.progress ?? silentProgress).task(`Snapshotting volume ${name}`);
      let read: ReadTree;
      try {
        const quiescer = opts.quiescer ?? noQuiescer;
        read = await readTree(content, volumes.dataPath(name), {
          ...(parent ? { parentTree: parent.record.tree } : {}),
          ...(opts.sink ? { sink: opts.sink } : {}),
          ...(opts.workers ? { workers: opts.workers } : {}),
          ...(opts.chunker ? { chunker: opts.chunker } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          task,
          hold: () => quiescer.hold(),
        });
      } catch (err) {
        task.done();
        throw err;
      }
      const record = snapshotRecord(
        {
          volume: name,
          created: new Date().toISOString(),
          hostname: hostname(),
          tags: [...new Set(opts.tags ?? [])].sort(),
          labels: opts.labels ?? {},
          ...(parent ? { parent: parent.id } : {}),
          volumeLabels: meta.labels,
          volumeOptions: meta.options,
        },
        read,
      );
      const stored = await content.put(encodeRecord(record));
      const descriptor = { mediaType: MediaType.LifeboatVolumeSnapshot, digest: stored.digest, size: stored.size };
      if (opts.writeRef !== false) await refs.add(name, { ...descriptor, annotations: { [CREATED]: record.created } });
      task.done(`Snapshot ${stored.digest.slice(7, 19)} of volume ${name}`);
      return { id: stored.digest, record, ...(read.replacedTrees ? { replacedTrees: read.replacedTrees, unreadTrees: read.unreadTrees ?? [] } : {}) };
    }),
  );
}
