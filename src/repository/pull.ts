/**
 * Pull: copy the closure of some root descriptors from a repository into a local content store,
 * skipping what the store has. The transfer under `restore`.
 *
 * The closure is walked level by level: a level's missing blobs are fetched (grouped by pack, one
 * ranged read per run of neighbours, `concurrency` packs at once), decoded, verified against their
 * digests and committed; then children() reads the next level's records from the local store.
 * Leaves that `batchable` selects (volume chunks by default) go through one DurabilityBatch (a
 * syncfs instead of a fsync each, flushed between levels once it holds FLUSH_BLOBS blobs or
 * FLUSH_BYTES bytes, and at the end, also when the pull fails, so what arrived verified is kept for the next try). `batchable`
 * must select leaves only: children() cannot read a blob still pending in the batch.
 */
import type { Digest } from '../core/digest.js';
import { IntegrityError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { silentProgress } from '../core/progress.js';
import type { DurabilityBatch } from '../content/blob-writer.js';
import type { LocalContentStore } from '../content/local-store.js';
import { blobStream, fitsInMemory, readPackBlobs } from './pack-reader.js';
import type { Children, CopyOptions, CopyReport } from './push.js';
import type { BlobLocation } from './repo-index.js';
import type { Repository } from './repository.js';
import { forEachLimit } from '../core/semaphore.js';

export const FLUSH_BLOBS = 4096;
export const FLUSH_BYTES = 256 * 1024 * 1024;

export interface PullOptions extends CopyOptions {
  /** Leaves committed through a durability batch. Default: volume chunks. */
  batchable?: (d: Descriptor) => boolean;
}

export async function pullClosure(repo: Repository, store: LocalContentStore, roots: Descriptor[], children: Children, opts: PullOptions = {}): Promise<CopyReport> {
  const started = Date.now();
  const lock = repo.assertLocked('shared');
  const signal = opts.signal ? AbortSignal.any([opts.signal, lock.signal]) : lock.signal;
  const batchable = opts.batchable ?? ((d: Descriptor) => d.mediaType === MediaType.LifeboatChunk);
  const index = await repo.index();
  const task = (opts.progress ?? silentProgress).task('Downloading');
  const report: CopyReport = { blobs: 0, bytes: 0, sent: { blobs: 0, bytes: 0, storedBytes: 0, packs: 0 }, skipped: { blobs: 0, bytes: 0 }, adopted: { packs: 0, blobs: 0 }, durationMs: 0 };
  const seen = new Set<Digest>();
  let batch: DurabilityBatch = store.newBatch();
  let batchBytes = 0;
  const flush = async () => {
    await batch.flush();
    batch = store.newBatch();
    batchBytes = 0;
  };

  const commit = async (d: Descriptor, data: Buffer): Promise<void> => {
    const useBatch = batchable(d);
    await store.put(data, { digest: d.digest, size: d.size }, useBatch ? batch : undefined);
    if (useBatch) batchBytes += data.length;
  };

  try {
    let level = roots;
    while (level.length) {
      signal.throwIfAborted();
      const want = new Map<Digest, { d: Descriptor; loc: BlobLocation }>();
      const current: Descriptor[] = [];
      for (const d of level) {
        if (seen.has(d.digest)) continue;
        seen.add(d.digest);
        current.push(d);
        report.blobs++;
        report.bytes += d.size;
        if (await store.has(d.digest, d.size, batch)) {
          report.skipped.blobs++;
          report.skipped.bytes += d.size;
          continue;
        }
        const loc = index.get(d.digest);
        if (!loc) throw new IntegrityError(`the repository has no blob ${d.digest} (${d.mediaType})`, { code: 'MISSING_BLOB', hint: 'run `lifeboat repo check`; the backup that names it is incomplete' });
        if (loc.rawLength !== d.size) throw new IntegrityError(`blob ${d.digest} is ${loc.rawLength} bytes in the repository but ${d.size} in its record`, { code: 'SIZE_MISMATCH' });
        want.set(d.digest, { d, loc });
      }
      const byPack = new Map<Digest, BlobLocation[]>();
      for (const { loc } of want.values()) byPack.set(loc.pack, [...(byPack.get(loc.pack) ?? []), loc]);
      task.total(report.bytes);
      await forEachLimit(byPack.values(), opts.concurrency ?? 4, async (locs) => {
        signal.throwIfAborted();
        const inMemory = locs.filter((l) => fitsInMemory(l));
        await readPackBlobs(repo.backend, inMemory, async (loc, data) => {
          await commit(want.get(loc.digest)!.d, data);
          count(loc);
        });
        for (const loc of locs.filter((l) => !fitsInMemory(l))) {
          await store.put(await blobStream(repo.backend, loc), { digest: loc.digest, size: loc.rawLength });
          count(loc);
        }
      });
      report.sent.packs += byPack.size;
      if (batch.size >= FLUSH_BLOBS || batchBytes >= FLUSH_BYTES) await flush(); // between levels: no add races a flush
      const next: Descriptor[] = [];
      for (const d of current) next.push(...(await children(d)));
      level = next;
    }
    await flush();
  } catch (err) {
    await flush().catch(() => undefined);
    task.done();
    throw err;
  }
  task.done();
  report.durationMs = Date.now() - started;
  return report;

  function count(loc: BlobLocation): void {
    report.sent.blobs++;
    report.sent.bytes += loc.rawLength;
    report.sent.storedBytes += loc.length;
    task.advance(loc.rawLength);
  }
}
