/**
 * The prune primitive: given every blob digest still live (the caller computes it from the refs it
 * keeps), drop the rest from the repository. Under the EXCLUSIVE lock, in restic's order:
 *
 *   1. adopt orphan packs (nothing uploaded whole is lost; anything unreadable is deleted below)
 *   2. plan: a pack with no live blob is deleted; a pack whose live bytes are under `repackBelow`
 *      of it is repacked; any other pack is kept (its dead blobs just leave the index)
 *   3. repack: the live blobs of those packs are read (verified), copied as stored into new packs
 *      and uploaded, and an index file names the new packs
 *   4. one fresh set of index files naming only live blobs is written, then every older index file
 *      is deleted (a reader in between sees a union that is still true)
 *   5. only now are dropped and repacked packs deleted, then temp files older than a day
 */
import type { Digest } from '../core/digest.js';
import { NotFoundError } from '../core/errors.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { isTempName } from './backend.js';
import { adoptOrphans, listPacks } from './adopt.js';
import type { PackRecord } from './index-format.js';
import { PACK_TARGET, PackBuilder } from './pack-builder.js';
import { readPackBlobs } from './pack-reader.js';
import { PackUploader } from './pack-uploader.js';
import { writeIndexFiles, type BlobLocation } from './repo-index.js';
import { INDEX_DIR, indexName, packName, parseIndexName } from './repo-layout.js';
import type { Repository } from './repository.js';
import { forEachLimit } from '../core/semaphore.js';

export const TEMP_MAX_AGE_MS = 24 * 3600 * 1000;

export interface PruneOptions {
  dryRun?: boolean;
  /** Repack a pack when its live bytes are under this share of it. Default 0.5. */
  repackBelow?: number;
  progress?: Progress;
  packTarget?: number;
}

export interface PruneReport {
  blobs: { kept: number; removed: number; missing: number };
  packs: { kept: number; deleted: number; repacked: number; written: number };
  /** Pack bytes deleted, and bytes written into new packs by repacking. */
  bytes: { deleted: number; written: number };
  indexFiles: { written: number; deleted: number };
  tempFilesDeleted: number;
  dryRun: boolean;
}

export async function prune(repo: Repository, live: ReadonlySet<Digest>, opts: PruneOptions = {}): Promise<PruneReport> {
  repo.assertLocked('exclusive');
  const backend = repo.backend;
  const progress = opts.progress ?? silentProgress;
  const index = await repo.reloadIndex();
  const listing = await listPacks(backend);
  if (!opts.dryRun) await adoptOrphans(backend, index, listing);

  // 2. plan
  const liveByPack = new Map<Digest, BlobLocation[]>();
  for (const loc of index.blobs.values()) {
    if (!live.has(loc.digest) || !listing.packs.has(loc.pack)) continue;
    liveByPack.set(loc.pack, [...(liveByPack.get(loc.pack) ?? []), loc]);
  }
  const keep: Digest[] = [];
  const repack: Digest[] = [];
  const drop: Digest[] = [];
  for (const [pack, info] of index.packs) {
    const locs = liveByPack.get(pack) ?? [];
    const liveBytes = locs.reduce((n, l) => n + l.length, 0);
    if (locs.length === 0) drop.push(pack);
    else if (liveBytes < info.size * (opts.repackBelow ?? 0.5)) repack.push(pack);
    else keep.push(pack);
  }
  for (const pack of listing.packs.keys()) if (!index.packs.has(pack)) drop.push(pack); // unreadable orphans
  const report: PruneReport = {
    blobs: { kept: 0, removed: 0, missing: [...live].filter((d) => !index.has(d)).length },
    packs: { kept: keep.length, deleted: drop.length, repacked: repack.length, written: 0 },
    bytes: { deleted: [...drop, ...repack].reduce((n, p) => n + (listing.packs.get(p)?.size ?? 0), 0), written: 0 },
    indexFiles: { written: 0, deleted: 0 },
    tempFilesDeleted: 0,
    dryRun: !!opts.dryRun,
  };
  report.blobs.kept = [...liveByPack.values()].reduce((n, l) => n + l.length, 0);
  report.blobs.removed = index.blobs.size - report.blobs.kept;
  if (opts.dryRun) return report;

  // 3. repack live blobs into new packs
  const uploader = new PackUploader(backend, index, { concurrency: 2, keepRecords: true });
  const builder = new PackBuilder(opts.packTarget ?? PACK_TARGET);
  const task = progress.task('Repacking', repack.reduce((n, p) => n + (index.packs.get(p)?.size ?? 0), 0));
  await forEachLimit(repack, 2, async (pack) => {
    await readPackBlobs(backend, liveByPack.get(pack)!, async (loc, _data, stored) => {
      builder.add(loc.digest, stored, loc.encoding, loc.rawLength); // copied into the pack
      if (builder.full) await uploader.submitSealed(builder.seal());
    });
    task.advance(index.packs.get(pack)?.size ?? 0);
  });
  if (builder.count > 0) await uploader.submitSealed(builder.seal());
  await uploader.finish();
  task.done();
  report.packs.written = uploader.uploaded.length;
  report.bytes.written = uploader.storedBytes;

  // 4. a fresh index naming only live blobs, then the old index files go
  const fresh: PackRecord[] = [];
  for (const pack of keep) fresh.push({ pack, size: index.packs.get(pack)!.size, blobs: liveByPack.get(pack)!.map(({ pack: _p, ...e }) => e) });
  fresh.push(...uploader.records);
  const written = new Set(await writeIndexFiles(backend, fresh));
  report.indexFiles.written = written.size;
  for (const f of await backend.list(INDEX_DIR)) {
    const id = parseIndexName(f.name);
    if (!id || written.has(id)) continue;
    await backend.delete(indexName(id)).catch(ignoreMissing);
    report.indexFiles.deleted++;
  }

  // 5. now nothing names them: delete packs, then old temp files
  await forEachLimit([...drop, ...repack], 4, (pack) => backend.delete(packName(pack)).catch(ignoreMissing));
  const now = Date.now();
  for (const t of listing.temps) {
    if (isTempName(t.name) && t.mtimeMs !== undefined && now - t.mtimeMs > TEMP_MAX_AGE_MS) {
      await backend.delete(t.name).catch(ignoreMissing);
      report.tempFilesDeleted++;
    }
  }
  await repo.reloadIndex();
  return report;
}

function ignoreMissing(err: unknown): void {
  if (!(err instanceof NotFoundError)) throw err;
}
