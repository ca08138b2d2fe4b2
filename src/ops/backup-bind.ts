/**
 * `backup --include-binds`: a bind-mounted host directory snapshotted with the volume snapshot
 * engine (volumes/read-tree.ts: chunks, trees, a snapshot record), but without a volume and
 * without a local ref: its record (`volume` = "bind:<host path>") is named only by the backup
 * record, so its blobs live in the repository and leave the local store once pushed. Each backup
 * reads the whole directory (there is no local parent to compare against); chunks the repository
 * already has are not sent again. With a sink (a backup), chunks go straight to the repository and
 * only the trees and the record are written here; without one, the chunks go into the store's
 * packs like a volume snapshot's.
 *
 * The caller holds the shared store lock and whatever quiesces the writers.
 */
import { hostname } from 'node:os';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { encodeRecord, type SnapshotRecord } from '../core/volume-snapshot-format.js';
import type { LocalContentStore } from '../content/local-store.js';
import type { BlobSink } from '../volumes/blob-sink.js';
import { readTree, snapshotRecord, type ReadTree } from '../volumes/read-tree.js';

export interface DirectorySnapshot {
  descriptor: Descriptor;
  record: SnapshotRecord;
}

export async function snapshotDirectory(
  content: LocalContentStore,
  dir: string,
  opts: { labels?: Record<string, string>; tags?: string[]; sink?: BlobSink; progress?: Progress; signal?: AbortSignal } = {},
): Promise<DirectorySnapshot> {
  const task = (opts.progress ?? silentProgress).task(`Snapshotting bind ${dir}`);
  let read: ReadTree;
  try {
    read = await readTree(content, dir, { ...(opts.sink ? { sink: opts.sink } : {}), ...(opts.signal ? { signal: opts.signal } : {}), task });
  } finally {
    task.done();
  }
  const record = snapshotRecord(
    {
      volume: `bind:${dir}`,
      created: new Date().toISOString(),
      hostname: hostname(),
      tags: [...new Set(opts.tags ?? [])].sort(),
      labels: opts.labels ?? {},
      volumeLabels: {},
      volumeOptions: {},
    },
    read,
  );
  const stored = await content.put(encodeRecord(record));
  return { descriptor: { mediaType: MediaType.LifeboatVolumeSnapshot, digest: stored.digest, size: stored.size }, record };
}
