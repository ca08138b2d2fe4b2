/**
 * Restores read a backup's data from the repository without making it part of the local store.
 *
 * Records, trees and the writable layer are fetched into a SCRATCH content store, a private
 * directory under the store's ingest/ (named after this process, so a crashed restore's scratch is
 * cleaned up like any dead writer's temp files), verified as they are decoded from their packs and
 * written as plain files: nothing is fsynced and nothing is named in the real store.
 *
 * File chunks, tens of thousands of them, are not written as files at all. A restore reads them
 * straight out of packs (`PackSpan`s, volumes/restore-file-sync.ts), and verifies each there as it
 * writes the file: out of the repository's own pack files when the backend is a local directory,
 * else out of copies of the packs in the scratch directory that hold only the ranges this restore
 * needs (one ranged read per run of neighbours, streamed to disk, a few packs at once, so memory
 * does not grow with the data). The scratch lives until the volumes and the writable layer are
 * restored, then goes in one delete. Only the image, which the new container keeps, is pulled into
 * the real store, durably (repo-copy.ts).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { hexOf, type Digest } from '../core/digest.js';
import { IntegrityError, SizeMismatchError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { LocalContentStore } from '../content/local-store.js';
import { blobStream, fitsInMemory, planRuns, readPackBlobs } from '../repository/pack-reader.js';
import type { BlobLocation } from '../repository/repo-index.js';
import { packName } from '../repository/repo-layout.js';
import type { Repository } from '../repository/repository.js';
import { forEachLimit } from '../core/semaphore.js';
import type { CopyReport } from '../repository/push.js';
import type { PackSpan } from '../core/pack-format.js';
import type { BackupRecord } from './backup-format.js';
import type { CaptureDeps } from './backup-capture.js';
import { closureOf, releaseLocalCopies } from './backup-local.js';
import { childrenOf } from './gc.js';
import { pullFromRepository } from './repo-copy.js';
import type { RestorePlan } from './restore-plan.js';

export interface FetchReport {
  blobs: number;
  /** Decoded bytes of every blob the restore reads, and stored bytes of them in packs. */
  bytes: number;
  storedBytes: number;
  packs: number;
}

/** What a restore reads its data from: records, trees and layers in `content`, chunks at `spans`. */
export interface FetchedBlobs {
  content: LocalContentStore;
  spans: ReadonlyMap<Digest, PackSpan>;
}

/** Creates a scratch store under `root`/ingest; `dispose()` deletes it. */
export async function scratchStore(root: string): Promise<{ content: LocalContentStore; dispose: () => Promise<void> }> {
  const dir = join(root, 'ingest', `${process.pid}-restore-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const content = await LocalContentStore.open(dir);
  return { content, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Fetches the closure of `roots` into `scratch`, level by level (the next level's records are read
 * from the scratch), except file chunks, which are located: `spans` gets where each can be read.
 * `seen`: blobs an earlier fetch into the same scratch took or located (shared with it), skipped.
 * `metadataOnly`: records and trees only, no chunk located, and a root the repository lacks left
 * out instead of an error (a staged restore's bases, which the patch only compares against). The
 * caller holds the repository lock.
 */
export async function fetchClosure(repo: Repository, scratch: LocalContentStore, roots: Descriptor[], spans: Map<Digest, PackSpan>, opts: { progress?: Progress; concurrency?: number; signal?: AbortSignal; metadataOnly?: boolean; seen?: Set<Digest> } = {}): Promise<FetchReport> {
  repo.assertLocked('shared');
  const index = await repo.index();
  const report: FetchReport = { blobs: 0, bytes: 0, storedBytes: 0, packs: 0 };
  const chunks: BlobLocation[] = [];
  const task = (opts.progress ?? silentProgress).task('Downloading');
  const seen = opts.seen ?? new Set<Digest>();
  const write = (digest: Digest, data: Buffer) => writeFile(scratch.blobPath(digest), data, { mode: 0o600 });
  try {
    let level = opts.metadataOnly ? roots.filter((d) => index.get(d.digest)) : roots;
    while (level.length) {
      opts.signal?.throwIfAborted();
      const current: Descriptor[] = [];
      for (const d of level) {
        if (seen.has(d.digest)) continue;
        seen.add(d.digest);
        if (opts.metadataOnly && d.mediaType === MediaType.LifeboatChunk) continue;
        current.push(d);
      }
      const byPack = new Map<Digest, BlobLocation[]>();
      let levelBytes = 0;
      for (const d of current) {
        const loc = index.get(d.digest);
        if (!loc) throw new IntegrityError(`the repository has no blob ${d.digest} (${d.mediaType})`, { code: 'MISSING_BLOB', hint: 'run `lifeboat repo check`; the backup that names it is incomplete' });
        if (loc.rawLength !== d.size) throw new IntegrityError(`blob ${d.digest} is ${loc.rawLength} bytes in the repository but ${d.size} in its record`, { code: 'SIZE_MISMATCH' });
        levelBytes += loc.rawLength;
        if (d.mediaType === MediaType.LifeboatChunk) chunks.push(loc);
        else byPack.set(loc.pack, [...(byPack.get(loc.pack) ?? []), loc]);
      }
      task.total(report.bytes + levelBytes);
      await forEachLimit(byPack.values(), opts.concurrency ?? 4, async (locs) => {
        opts.signal?.throwIfAborted();
        const writes: Array<Promise<void>> = []; // a run's blobs are written side by side
        await readPackBlobs(repo.backend, locs.filter((l) => fitsInMemory(l)), async (loc, data) => {
          const w = write(loc.digest, data).then(() => count(loc));
          w.catch(() => undefined); // awaited below with the others
          writes.push(w);
          if (writes.length >= 64) await Promise.all(writes.splice(0));
        });
        await Promise.all(writes);
        for (const loc of locs.filter((l) => !fitsInMemory(l))) {
          await pipeline(await blobStream(repo.backend, loc), createWriteStream(scratch.blobPath(loc.digest), { mode: 0o600 }));
          count(loc);
        }
        report.packs++;
      });
      const next: Descriptor[] = [];
      for (const d of current) if (d.mediaType !== MediaType.LifeboatChunk) next.push(...(await childrenOf(scratch, d)));
      level = next;
    }
    await locateChunks(repo, chunks, join(scratch.root, 'fetched-packs'), spans, { count, concurrency: opts.concurrency ?? 4, ...(opts.signal ? { signal: opts.signal } : {}) });
  } finally {
    task.done();
  }
  return report;

  function count(loc: BlobLocation): void {
    report.blobs++;
    report.bytes += loc.rawLength;
    report.storedBytes += loc.length;
    task.advance(loc.rawLength);
  }
}

/**
 * Where each chunk can be read: in place in a local repository's packs; otherwise the runs of each
 * pack that hold them are streamed into a file of the same layout in `dir` (so a chunk keeps its
 * offset), a few packs at once. Nothing is verified here: the restore verifies every chunk it reads.
 */
async function locateChunks(repo: Repository, locs: BlobLocation[], dir: string, spans: Map<Digest, PackSpan>, opts: { count: (loc: BlobLocation) => void; concurrency: number; signal?: AbortSignal }): Promise<void> {
  const byPack = new Map<Digest, BlobLocation[]>();
  for (const loc of locs) byPack.set(loc.pack, [...(byPack.get(loc.pack) ?? []), loc]);
  await forEachLimit(byPack, opts.concurrency, async ([pack, inPack]) => {
    opts.signal?.throwIfAborted();
    let file = repo.backend.localFile?.(packName(pack));
    if (file === undefined) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      file = join(dir, hexOf(pack));
      await fetchRuns(repo, pack, inPack, file, opts.signal);
    }
    for (const loc of inPack) {
      spans.set(loc.digest, { file, offset: loc.offset, length: loc.length, zstd: loc.encoding === 'zstd' });
      opts.count(loc);
    }
  });
}

/** Streams the runs of `pack` holding `locs` into `file` at their own offsets. */
async function fetchRuns(repo: Repository, pack: Digest, locs: BlobLocation[], file: string, signal?: AbortSignal): Promise<void> {
  const fh = await open(file, 'w', 0o600);
  try {
    for (const run of planRuns(locs)) {
      signal?.throwIfAborted();
      const start = run[0]!.offset;
      const end = run.reduce((m, l) => Math.max(m, l.offset + l.length), 0);
      let pos = start;
      for await (const chunk of await repo.backend.get(packName(pack), { offset: start, length: end - start })) {
        const b = chunk as Buffer;
        if (pos + b.length > end) throw new SizeMismatchError(end - start, pos + b.length - start, `read of pack ${pack}`);
        for (let off = 0; off < b.length; ) off += (await fh.write(b, off, b.length - off, pos + off)).bytesWritten;
        pos += b.length;
      }
      if (pos !== end) throw new SizeMismatchError(end - start, pos - start, `read of pack ${pack}`);
    }
  } finally {
    await fh.close();
  }
}

/** The blobs plans need besides the image: writable layer and snapshots. */
export function dataRoots(record: BackupRecord, plans: RestorePlan[]): Descriptor[] {
  const snaps = plans.flatMap((p) => [...p.volumes, ...p.binds]).flatMap((v) => (v.snapshot ? [v.snapshot] : []));
  return [...(record.writableLayer ? [record.writableLayer.layer] : []), ...new Map(snaps.map((s) => [s.digest, s])).values()];
}

/**
 * Fetches what `plans` need: the image into the store, the rest into the scratch store (chunks:
 * located). `bases`: snapshots a staged restore patches from, records and trees only.
 */
export async function fetchBackup(deps: CaptureDeps, repo: Repository, record: BackupRecord, plans: RestorePlan[], scratch: LocalContentStore, opts: { progress?: Progress; signal?: AbortSignal; bases?: Descriptor[] }): Promise<{ image: CopyReport; data: FetchReport; blobs: FetchedBlobs }> {
  const copy = { ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  const image = await pullFromRepository(repo, deps.content, [record.image.manifest], copy);
  const spans = new Map<Digest, PackSpan>();
  const seen = new Set<Digest>(); // the bases share most trees with what the restore fetched
  const data = await fetchClosure(repo, scratch, dataRoots(record, plans), spans, { ...copy, seen });
  if (opts.bases?.length) await fetchClosure(repo, scratch, opts.bases, spans, { ...copy, metadataOnly: true, seen });
  return { image, data, blobs: { content: scratch, spans } };
}

/** Lets an image fetched for nothing leave the store again (kept when anything else uses it). */
export async function releaseImage(deps: CaptureDeps, record: BackupRecord, progress: Progress): Promise<void> {
  const candidates = await closureOf(deps.content, [record.image.manifest]).catch(() => [record.image.manifest]);
  await releaseLocalCopies(deps.content, candidates, progress).catch(() => undefined);
}
