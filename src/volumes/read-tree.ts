/**
 * A directory → chunk and tree blobs, the part every snapshot shares (of a volume, or of a bind
 * mount in a backup): I/O workers, durability batches, an optional sink for new chunks, and the
 * record's stats. Writing the record, and any ref, is the caller's.
 *
 * On failure the sink is cancelled and drained and the open batch discarded, so nothing half-read
 * is left named; the workers are closed either way.
 */
import { DEFAULT_CHUNKER, type ChunkerParams } from '../core/chunker.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import type { ProgressTask } from '../core/progress.js';
import type { RootMeta, SnapshotRecord, SnapshotStats } from '../core/volume-snapshot-format.js';
import type { LocalContentStore } from '../content/local-store.js';
import { BlobBatcher } from './blob-batcher.js';
import { snapshotWorkers, type BlobSink } from './blob-sink.js';
import { LocalPackSink } from './local-pack-sink.js';
import { TreeWriter } from './tree-writer.js';

export interface ReadTreeOptions {
  /** The parent snapshot's tree: unchanged files and directories are reused unread. */
  parentTree?: Descriptor;
  /** Where new chunks go (see blob-sink.ts); default: the store only. */
  sink?: BlobSink;
  workers?: number;
  chunker?: ChunkerParams;
  signal?: AbortSignal;
  /** Advanced by the bytes read. */
  task?: ProgressTask;
  /** Holds the writers for the read alone (a Quiescer's hold); returns the release. */
  hold?: () => Promise<() => Promise<void>>;
}

export interface ReadTree {
  root: RootMeta;
  tree: Descriptor;
  stats: SnapshotStats;
  /** The parent's trees this read replaced (tree-writer.ts `replaced`); absent when no parent was compared. */
  replacedTrees?: Descriptor[];
  /** Of those, the ones whose subtrees the read never looked at (a gone directory): a release walks below them. */
  unreadTrees?: Descriptor[];
}

export async function readTree(content: LocalContentStore, dir: string, opts: ReadTreeOptions = {}): Promise<ReadTree> {
  const started = Date.now();
  let read = await readOnce(content, dir, opts);
  if (read.lacking && opts.parentTree) {
    // The parent names chunks this store no longer has (lost, or quarantined as bad): read
    // everything again, so this snapshot stores them afresh. What was packed above is reused.
    const { parentTree: _, ...again } = opts;
    read = await readOnce(content, dir, again);
  }
  return { ...read.tree, stats: { ...read.stats, durationMs: Date.now() - started } };
}

/** One read of the directory; `lacking`: a chunk the parent named is not in the store (local snapshots only). */
async function readOnce(content: LocalContentStore, dir: string, opts: ReadTreeOptions): Promise<{ tree: Omit<ReadTree, 'stats'>; stats: Omit<SnapshotStats, 'durationMs'>; lacking: boolean }> {
  let presync = async (): Promise<void> => {};
  const blobs = new BlobBatcher(content, () => presync());
  // Without a sink of the caller's, new chunks go into the store's packs through the same feed.
  const local = opts.sink ? undefined : new LocalPackSink(content, await content.packs.ready(), blobs);
  const { pool, feed, signal } = snapshotWorkers(opts.sink ?? local!, opts.workers, opts.signal);
  presync = async () => void (await pool.run({ kind: 'syncfs', path: content.ingestDir }));
  const writer = new TreeWriter({ content, blobs, feed, pool, chunker: opts.chunker ?? DEFAULT_CHUNKER, signal, onRead: (n) => opts.task?.advance(n) });
  let result: Awaited<ReturnType<TreeWriter['writeRoot']>>;
  try {
    const release = opts.hold ? await opts.hold() : async () => undefined;
    try {
      result = await writer.writeRoot(dir, opts.parentTree);
    } finally {
      await release();
    }
    await feed.drain();
    local?.seal();
    await blobs.flush();
  } catch (err) {
    feed.cancel(err);
    await feed.drain().catch(() => undefined);
    local?.discard();
    await blobs.discard().catch(() => undefined);
    throw err;
  } finally {
    await pool.close();
  }
  const c = writer.counters;
  const added = local ? { blobs: feed.added.blobs + blobs.added.blobs, bytes: feed.added.bytes + blobs.added.bytes } : feed.added;
  const stats = {
    files: c.files,
    dirs: c.dirs,
    bytes: c.bytes,
    readBytes: c.readBytes,
    addedBytes: added.bytes,
    newBlobs: added.blobs,
    unchangedFiles: c.unchangedFiles,
    skipped: c.skipped,
    skippedXattrs: c.skippedXattrs,
  };
  const replaced = opts.parentTree ? { replacedTrees: [...writer.replaced.values()], unreadTrees: writer.unreadReplaced() } : {};
  return { tree: { root: result.root, tree: result.tree, ...replaced }, stats, lacking: (local?.lacking.size ?? 0) > 0 };
}

/** The fields of a snapshot record that do not depend on what was read. */
export type RecordHead = Omit<SnapshotRecord, 'schemaVersion' | 'mediaType' | 'root' | 'tree' | 'stats'>;

export function snapshotRecord(head: RecordHead, read: ReadTree): SnapshotRecord {
  return { schemaVersion: 1, mediaType: MediaType.LifeboatVolumeSnapshot, ...head, root: read.root, tree: read.tree, stats: read.stats };
}
