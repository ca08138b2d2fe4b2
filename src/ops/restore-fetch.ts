/**
 * Restores read a backup's data from the repository without making it part of the local store.
 *
 * The snapshot records, trees and chunks and the writable layer are fetched into a SCRATCH content
 * store, a private directory under the store's ingest/ (named after this process, so a crashed
 * restore's scratch is cleaned up like any dead writer's temp files). Every blob is verified against
 * its digest as it is decoded from its pack, grouped by pack (one ranged read per run of neighbours,
 * a few packs at once), and written as a plain file: nothing is fsynced and nothing is named in the
 * real store, because the scratch lives only until the volumes and the writable layer are restored
 * from it (they verify every chunk once more on the way) and is then deleted in one go. Only the
 * image, which the new container keeps, is pulled into the real store, durably (repo-copy.ts).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../core/digest.js';
import { IntegrityError } from '../core/errors.js';
import type { Descriptor } from '../core/oci.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { LocalContentStore } from '../content/local-store.js';
import { blobStream, fitsInMemory, readPackBlobs } from '../repository/pack-reader.js';
import type { BlobLocation } from '../repository/repo-index.js';
import type { Repository } from '../repository/repository.js';
import { forEachLimit } from '../repository/semaphore.js';
import type { CopyReport } from '../repository/push.js';
import type { BackupRecord } from './backup-format.js';
import type { CaptureDeps } from './backup-capture.js';
import { closureOf, releaseLocalCopies } from './backup-local.js';
import { childrenOf } from './gc.js';
import { pullFromRepository } from './repo-copy.js';
import type { RestorePlan } from './restore-plan.js';

export interface FetchReport {
  blobs: number;
  /** Decoded bytes written to the scratch store, and stored bytes read from packs. */
  bytes: number;
  storedBytes: number;
  packs: number;
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
 * from the scratch). The caller holds the repository lock.
 */
export async function fetchClosure(repo: Repository, scratch: LocalContentStore, roots: Descriptor[], opts: { progress?: Progress; concurrency?: number; signal?: AbortSignal } = {}): Promise<FetchReport> {
  repo.assertLocked('shared');
  const index = await repo.index();
  const report: FetchReport = { blobs: 0, bytes: 0, storedBytes: 0, packs: 0 };
  const task = (opts.progress ?? silentProgress).task('Downloading');
  const seen = new Set<Digest>();
  const write = (digest: Digest, data: Buffer) => writeFile(scratch.blobPath(digest), data, { mode: 0o600 });
  try {
    let level = roots;
    while (level.length) {
      opts.signal?.throwIfAborted();
      const current: Descriptor[] = [];
      for (const d of level) {
        if (seen.has(d.digest)) continue;
        seen.add(d.digest);
        current.push(d);
      }
      const byPack = new Map<Digest, BlobLocation[]>();
      let levelBytes = 0;
      for (const d of current) {
        const loc = index.get(d.digest);
        if (!loc) throw new IntegrityError(`the repository has no blob ${d.digest} (${d.mediaType})`, { code: 'MISSING_BLOB', hint: 'run `lifeboat repo check`; the backup that names it is incomplete' });
        if (loc.rawLength !== d.size) throw new IntegrityError(`blob ${d.digest} is ${loc.rawLength} bytes in the repository but ${d.size} in its record`, { code: 'SIZE_MISMATCH' });
        byPack.set(loc.pack, [...(byPack.get(loc.pack) ?? []), loc]);
        levelBytes += loc.rawLength;
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
      for (const d of current) next.push(...(await childrenOf(scratch, d)));
      level = next;
    }
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

/** The blobs plans need besides the image: writable layer and snapshots. */
export function dataRoots(record: BackupRecord, plans: RestorePlan[]): Descriptor[] {
  const snaps = plans.flatMap((p) => [...p.volumes, ...p.binds]).flatMap((v) => (v.snapshot ? [v.snapshot] : []));
  return [...(record.writableLayer ? [record.writableLayer.layer] : []), ...new Map(snaps.map((s) => [s.digest, s])).values()];
}

/** Fetches what `plans` need: the image into the store, the rest into the scratch store `blobs`. */
export async function fetchBackup(deps: CaptureDeps, repo: Repository, record: BackupRecord, plans: RestorePlan[], blobs: LocalContentStore, opts: { progress?: Progress; signal?: AbortSignal }): Promise<{ image: CopyReport; data: FetchReport }> {
  const copy = { ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  const image = await pullFromRepository(repo, deps.content, [record.image.manifest], copy);
  const data = await fetchClosure(repo, blobs, dataRoots(record, plans), copy);
  return { image, data };
}

/** Lets an image fetched for nothing leave the store again (kept when anything else uses it). */
export async function releaseImage(deps: CaptureDeps, record: BackupRecord, progress: Progress): Promise<void> {
  const candidates = await closureOf(deps.content, [record.image.manifest]).catch(() => [record.image.manifest]);
  await releaseLocalCopies(deps.content, candidates, progress).catch(() => undefined);
}
