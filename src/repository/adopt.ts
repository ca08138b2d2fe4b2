/**
 * Resume: packs that arrived whole but that no index names (a backup killed, or its link cut, after
 * some uploads and before its index) are adopted: their trailers are read with ranged reads, an
 * index file is written for them, and their blobs count as present, so the next push sends none of
 * them again. A pack only ever becomes visible whole (temp name + rename), so a listed pack is a
 * complete one; its trailer is still checked against its size, and a pack whose trailer does not
 * parse is left alone (reported by `repo check`, removed by prune).
 *
 * Adopting a pack that a concurrent backup is about to index is harmless: the index is a union, and
 * a blob named twice is fine.
 */
import type { Digest } from '../core/digest.js';
import { ExitCode, LifeboatError } from '../core/errors.js';
import { isTempName, type Backend, type FileInfo } from './backend.js';
import type { PackRecord } from './index-format.js';
import { readPackTrailer } from './pack-reader.js';
import { writeIndexFiles, type RepoIndex } from './repo-index.js';
import { DATA_DIR, parsePackName } from './repo-layout.js';
import { forEachLimit } from '../core/semaphore.js';

export interface PackListing {
  /** Every complete pack file on the backend, by id. */
  packs: Map<Digest, FileInfo>;
  /** Temp files of uploads that were cut off (or are in progress). */
  temps: FileInfo[];
  /** Files under data/ that are neither. */
  strays: FileInfo[];
}

export async function listPacks(backend: Backend): Promise<PackListing> {
  const out: PackListing = { packs: new Map(), temps: [], strays: [] };
  for (const f of await backend.list(DATA_DIR)) {
    const id = parsePackName(f.name);
    if (id) out.packs.set(id, f);
    else if (isTempName(f.name)) out.temps.push(f);
    else out.strays.push(f);
  }
  return out;
}

export interface AdoptResult {
  packs: number;
  blobs: number;
  /** Packs whose trailer could not be read, with the reason. */
  unreadable: Array<{ pack: Digest; error: string }>;
}

/** Adopts every complete pack the index does not name; updates `index` and writes index files for them. */
export async function adoptOrphans(backend: Backend, index: RepoIndex, listing?: PackListing): Promise<AdoptResult> {
  const { packs } = listing ?? (await listPacks(backend));
  const orphans = [...packs].filter(([id]) => !index.packs.has(id));
  const records: PackRecord[] = [];
  const unreadable: AdoptResult['unreadable'] = [];
  await forEachLimit(orphans, 8, async ([pack, file]) => {
    try {
      records.push({ pack, size: file.size, blobs: await readPackTrailer(backend, pack, file.size) });
    } catch (err) {
      if (!(err instanceof LifeboatError) || err.exitCode === ExitCode.UNREACHABLE || err.exitCode === ExitCode.AUTH) throw err;
      unreadable.push({ pack, error: err.message });
    }
  });
  if (records.length > 0) {
    records.sort((a, b) => (a.pack < b.pack ? -1 : 1));
    await writeIndexFiles(backend, records);
    for (const r of records) index.addPack(r);
  }
  return { packs: records.length, blobs: records.reduce((n, r) => n + r.blobs.length, 0), unreadable };
}
