/**
 * The repository half of a backup: everything the container's capture reads goes into ONE stream
 * of packs (a PackSink), as it is read.
 *
 *   1. adopt orphan packs (resume), so the sink skips what an interrupted backup sent whole
 *   2. capture (backup-capture.ts) with the sink: the volumes' new chunks and trees are packed as
 *      the workers produce them, nothing of them is staged in the local store but the trees; every
 *      blob the snapshots name but the repository lacks (an unchanged file whose chunks a LOCAL
 *      parent kept here) is noted by the sink. While the container is held, full packs are parked
 *      (in memory, then spooled to the store's ingest/) and go up once it runs again
 *   3. the rest of the closure through the same sink: image, writable layer, snapshot records and
 *      what step 2 noted (read verified from the store); then the last pack and the index files
 *   4. the backup record, straight from memory into a pack of its own (never written locally)
 *
 * So there is no second reading of the snapshot's trees: the snapshot engine told the sink what
 * they name. The caller holds the repository lock (shared) and the store's shared lock, and
 * writes the ref only after step 4: a backup cut off anywhere before leaves packs to adopt and
 * unreferenced trees for GC, and no backup.
 */
import type { Digest } from '../core/digest.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { silentProgress } from '../core/progress.js';
import { sha256Of } from '../repository/blob-encoding.js';
import { adoptOrphans } from '../repository/adopt.js';
import { PackSink } from '../repository/pack-sink.js';
import { pushClosure, type CopyOptions, type CopyReport } from '../repository/push.js';
import type { Repository } from '../repository/repository.js';
import type { ContainerRecord } from '../runtime/container-record.js';
import { captureContainer, type CaptureDeps, type CaptureOptions, type Captured } from './backup-capture.js';
import { encodeBackupRecord, type BackupRecord } from './backup-format.js';
import { childrenOf } from './gc.js';

/** Adopts the packs an interrupted backup left (step 1); returns what was adopted. */
export async function resumeInto(repo: Repository, opts: Pick<CopyOptions, 'progress'> = {}): Promise<CopyReport['adopted']> {
  const adopted = await adoptOrphans(repo.backend, await repo.index());
  if (adopted.packs) (opts.progress ?? silentProgress).info(`Resuming: adopted ${adopted.packs} packs (${adopted.blobs} blobs) left by an interrupted backup`);
  return { packs: adopted.packs, blobs: adopted.blobs };
}

/** Snapshots and layers: their closure is what the sink was told (refer), so the push stops at them. */
const SENT_WHOLE = new Set<string>([MediaType.LifeboatVolumeSnapshot, MediaType.LifeboatTree, MediaType.LifeboatChunk]);

/**
 * Steps 2 and 3: captures the container with its data streaming into the repository, then sends
 * whatever else its closure needs. `first` reports both together (`skipped`: what the repository
 * had; `sent`: everything packed, from the snapshots on); `named` tells the snapshots' blobs.
 */
export async function captureInto(
  deps: CaptureDeps,
  repo: Repository,
  rec: ContainerRecord,
  capture: Omit<CaptureOptions, 'sink'>,
  copy: CopyOptions,
): Promise<{ captured: Captured; first: CopyReport; named: { has(digest: Digest): boolean } }> {
  const sink = new PackSink(repo.backend, await repo.index(), {
    spoolDir: deps.content.ingestDir,
    ...(copy.packTarget ? { packTarget: copy.packTarget } : {}),
    ...(copy.concurrency ? { concurrency: copy.concurrency } : {}),
    ...(copy.onPack ? { onPack: copy.onPack } : {}),
  });
  try {
    const captured = await captureContainer(deps, rec, { ...capture, sink });
    const snapshots = [...captured.volumes.map((v) => v.snap.id), ...captured.binds.flatMap((b) => (b.snap ? [b.snap.descriptor.digest] : []))];
    const records: Descriptor[] = [];
    for (const digest of new Set(snapshots)) records.push({ mediaType: MediaType.LifeboatVolumeSnapshot, digest, size: (await deps.content.info(digest))?.size ?? 0 });
    const lacking = sink.lacking();
    const roots = [rec.imageManifest, ...(captured.layer ? [captured.layer.layer] : []), ...records, ...lacking];
    const children = (d: Descriptor) => (SENT_WHOLE.has(d.mediaType) ? Promise.resolve([]) : childrenOf(deps.content, d));
    const pushed = await pushClosure(deps.content, repo, roots, children, { ...copy, adopt: false, sink });
    await sink.finish();
    const s = sink.report;
    const named = sink.named(); // the snapshots' trees and chunks; `lacking` is in both
    const first: CopyReport = {
      ...pushed,
      blobs: pushed.blobs + named.blobs - lacking.length,
      bytes: pushed.bytes + named.bytes - lacking.reduce((n, d) => n + d.size, 0),
      sent: { blobs: s.blobs, bytes: s.bytes, storedBytes: s.storedBytes, packs: s.packs },
      skipped: { blobs: pushed.skipped.blobs + named.skipped.blobs, bytes: pushed.skipped.bytes + named.skipped.bytes },
    };
    return { captured, first, named: { has: (d: Digest) => sink.refers(d) } };
  } catch (err) {
    await sink.abandon();
    throw err;
  }
}

/** Step 4: the record into a pack of its own; returns its descriptor and what that sent. */
export async function putRecord(repo: Repository, record: BackupRecord, copy: CopyOptions): Promise<{ descriptor: Descriptor; second: CopyReport }> {
  const started = Date.now();
  const bytes = encodeBackupRecord(record);
  const digest: Digest = sha256Of(bytes);
  const sink = new PackSink(repo.backend, await repo.index(), { ...(copy.onPack ? { onPack: copy.onPack } : {}) });
  try {
    await sink.pack(digest, bytes);
    await sink.finish();
  } catch (err) {
    await sink.abandon();
    throw err;
  }
  const s = sink.report;
  const second: CopyReport = {
    blobs: 1,
    bytes: bytes.length,
    sent: { blobs: s.blobs, bytes: s.bytes, storedBytes: s.storedBytes, packs: s.packs },
    skipped: s.blobs ? { blobs: 0, bytes: 0 } : { blobs: 1, bytes: bytes.length },
    adopted: { packs: 0, blobs: 0 },
    durationMs: Date.now() - started,
  };
  return { descriptor: { mediaType: MediaType.LifeboatBackup, digest, size: bytes.length }, second };
}
