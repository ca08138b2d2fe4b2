/**
 * `repo stats`: what the repository holds, from its index (no pack is read): packs and their bytes,
 * blobs with their stored (possibly compressed) and decoded sizes, the compression ratio, index
 * files and backup refs. Blobs are counted once however many packs hold a copy.
 */
import type { Repository } from './repository.js';

export interface RepoStats {
  id: string;
  created: string;
  location: string;
  packs: number;
  /** Bytes of all indexed pack files (what the repository costs on disk, trailers included). */
  packBytes: number;
  blobs: number;
  /** Stored bytes of the indexed blobs. */
  storedBytes: number;
  /** Decoded bytes of the indexed blobs (what a restore writes). */
  rawBytes: number;
  /** rawBytes / storedBytes (1 when nothing compressed). */
  compressionRatio: number;
  compressedBlobs: number;
  indexFiles: number;
  backups: number;
}

export async function repoStats(repo: Repository): Promise<RepoStats> {
  const index = await repo.index();
  let storedBytes = 0;
  let rawBytes = 0;
  let compressedBlobs = 0;
  for (const loc of index.blobs.values()) {
    storedBytes += loc.length;
    rawBytes += loc.rawLength;
    if (loc.encoding !== 'raw') compressedBlobs++;
  }
  let packBytes = 0;
  for (const p of index.packs.values()) packBytes += p.size;
  return {
    id: repo.config.id,
    created: repo.config.created,
    location: repo.location,
    packs: index.packs.size,
    packBytes,
    blobs: index.blobs.size,
    storedBytes,
    rawBytes,
    compressionRatio: storedBytes > 0 ? Math.round((rawBytes / storedBytes) * 1000) / 1000 : 1,
    compressedBlobs,
    indexFiles: index.files.size,
    backups: (await repo.listRefs()).length,
  };
}
