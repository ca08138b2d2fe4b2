/**
 * The repository's index in memory: blob → where it is (pack, offset, length, encoding), and pack →
 * size. Loaded from every index file at once (they are small and few; prune folds them into one),
 * extended as a push uploads packs, and written back with `writeIndexFiles` only after those packs
 * are whole on the backend (ordering invariant: packs → index → refs).
 */
import { type Digest } from '../core/digest.js';
import { sha256 } from '../core/hashing.js';
import { DigestMismatchError } from '../core/errors.js';
import { JSON_LIMIT } from '../core/strict-json.js';
import { getBytes, type Backend } from './backend.js';
import { chunkRecords, encodeIndex, parseIndex, type PackRecord } from './index-format.js';
import type { PackEntry } from '../core/pack-format.js';
import { INDEX_DIR, indexName, parseIndexName } from './repo-layout.js';
import { forEachLimit } from '../core/semaphore.js';

export interface BlobLocation extends PackEntry {
  pack: Digest;
}

export interface PackInfo {
  size: number;
  blobs: number;
}

export class RepoIndex {
  readonly blobs = new Map<Digest, BlobLocation>();
  readonly packs = new Map<Digest, PackInfo>();
  /** Index files this view was loaded from. */
  readonly files = new Set<Digest>();

  /** Reads and merges every index file on the backend. */
  static async load(backend: Backend): Promise<RepoIndex> {
    const index = new RepoIndex();
    const names = (await backend.list(INDEX_DIR)).flatMap((f) => {
      const id = parseIndexName(f.name);
      return id ? [{ id, name: f.name }] : [];
    });
    const loaded: Array<{ id: Digest; records: PackRecord[] }> = [];
    await forEachLimit(names, 8, async ({ id, name }) => {
      const bytes = await getBytes(backend, name, undefined, JSON_LIMIT);
      const actual = sha256(bytes);
      if (actual !== id) throw new DigestMismatchError(id, actual, `index file ${name}`);
      loaded.push({ id, records: parseIndex(bytes, name) });
    });
    loaded.sort((a, b) => (a.id < b.id ? -1 : 1)); // deterministic: the first index naming a blob wins
    for (const { id, records } of loaded) {
      index.files.add(id);
      for (const r of records) index.addPack(r);
    }
    return index;
  }

  has(digest: Digest): boolean {
    return this.blobs.has(digest);
  }

  get(digest: Digest): BlobLocation | undefined {
    return this.blobs.get(digest);
  }

  /** Records a pack and its blobs; a blob already located elsewhere keeps its first location. */
  addPack(record: PackRecord): void {
    const known = this.packs.get(record.pack);
    this.packs.set(record.pack, { size: record.size, blobs: (known?.blobs ?? 0) + record.blobs.length });
    for (const e of record.blobs) {
      if (this.blobs.has(e.digest)) continue;
      // A literal, not a spread (one per blob of the repository): the same fields in the same order.
      this.blobs.set(e.digest, { digest: e.digest, offset: e.offset, length: e.length, encoding: e.encoding, rawLength: e.rawLength, pack: record.pack });
    }
  }

  /** Every located blob grouped by pack, as index records (what prune writes back). */
  records(keep: (loc: BlobLocation) => boolean = () => true): PackRecord[] {
    const byPack = new Map<Digest, PackEntry[]>();
    for (const loc of this.blobs.values()) {
      if (!keep(loc)) continue;
      const list = byPack.get(loc.pack) ?? [];
      list.push({ digest: loc.digest, offset: loc.offset, length: loc.length, encoding: loc.encoding, rawLength: loc.rawLength });
      byPack.set(loc.pack, list);
    }
    return [...byPack].map(([pack, blobs]) => ({ pack, size: this.packs.get(pack)?.size ?? 0, blobs: blobs.sort((a, b) => a.offset - b.offset) }));
  }
}

/** Writes `records` as one or more index files; returns their ids. Call only once their packs are uploaded. */
export async function writeIndexFiles(backend: Backend, records: readonly PackRecord[]): Promise<Digest[]> {
  const ids: Digest[] = [];
  for (const group of chunkRecords(records)) {
    const bytes = encodeIndex(group);
    const id = sha256(bytes);
    await backend.put(indexName(id), bytes);
    ids.push(id);
  }
  return ids;
}
