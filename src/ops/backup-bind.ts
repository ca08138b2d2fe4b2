/**
 * `backup --include-binds`: a bind-mounted host directory snapshotted with the volume snapshot
 * engine (volumes/tree-writer.ts: chunks, trees, a snapshot record), but without a volume and
 * without a local ref: its record (`volume` = "bind:<host path>") is named only by the backup
 * record, so its blobs live in the repository and leave the local store once pushed. Each backup
 * reads the whole directory (there is no local parent to compare against); chunks the repository
 * already has are not sent again. With a sink (a backup), chunks go straight to the repository and
 * only the trees and the record are written here.
 *
 * The caller holds the shared store lock and whatever quiesces the writers.
 */
import { hostname } from 'node:os';
import { DEFAULT_CHUNKER } from '../core/chunker.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { encodeRecord, type SnapshotRecord } from '../core/volume-snapshot-format.js';
import type { LocalContentStore } from '../content/local-store.js';
import { BlobBatcher } from '../volumes/blob-batcher.js';
import { snapshotWorkers, type BlobSink } from '../volumes/blob-sink.js';
import { TreeWriter } from '../volumes/tree-writer.js';

export interface DirectorySnapshot {
  descriptor: Descriptor;
  record: SnapshotRecord;
}

export async function snapshotDirectory(
  content: LocalContentStore,
  dir: string,
  opts: { labels?: Record<string, string>; tags?: string[]; sink?: BlobSink; progress?: Progress; signal?: AbortSignal } = {},
): Promise<DirectorySnapshot> {
  const started = Date.now();
  const { pool, feed, signal } = snapshotWorkers(opts.sink, undefined, opts.signal);
  const blobs = new BlobBatcher(content, async () => void (await pool.run({ kind: 'syncfs', path: content.ingestDir })));
  const task = (opts.progress ?? silentProgress).task(`Snapshotting bind ${dir}`);
  const writer = new TreeWriter({ content, blobs, feed, pool, chunker: DEFAULT_CHUNKER, signal, onRead: (n) => task.advance(n) });
  let result: Awaited<ReturnType<TreeWriter['writeRoot']>>;
  try {
    result = await writer.writeRoot(dir);
    await feed?.drain();
    await blobs.flush();
  } catch (err) {
    feed?.cancel(err);
    await feed?.drain().catch(() => undefined);
    await blobs.discard().catch(() => undefined);
    throw err;
  } finally {
    task.done();
    await pool.close();
  }
  const c = writer.counters;
  const record: SnapshotRecord = {
    schemaVersion: 1,
    mediaType: MediaType.LifeboatVolumeSnapshot,
    volume: `bind:${dir}`,
    created: new Date().toISOString(),
    hostname: hostname(),
    tags: [...new Set(opts.tags ?? [])].sort(),
    labels: opts.labels ?? {},
    volumeLabels: {},
    volumeOptions: {},
    root: result.root,
    tree: result.tree,
    stats: {
      files: c.files,
      dirs: c.dirs,
      bytes: c.bytes,
      readBytes: c.readBytes,
      addedBytes: (feed ?? blobs).added.bytes,
      newBlobs: (feed ?? blobs).added.blobs,
      unchangedFiles: c.unchangedFiles,
      skipped: c.skipped,
      skippedXattrs: c.skippedXattrs,
      durationMs: Date.now() - started,
    },
  };
  const stored = await content.put(encodeRecord(record));
  return { descriptor: { mediaType: MediaType.LifeboatVolumeSnapshot, digest: stored.digest, size: stored.size }, record };
}
