/**
 * Store-wide garbage collection: what is a root, and how one record points at others. Every kind of
 * record Lifeboat keeps (images, containers, volume snapshots, backups) adds its roots to
 * ROOT_SOURCES and its edges to `childrenOf`, so no subsystem can lose another's data.
 *
 * Two depths of root. Most keep their whole closure. Volume snapshots HELD in a repository (a
 * backup pushed them whole, then dropped their file chunks here: ops/backup-local.ts) keep only
 * their record and trees (`edges: 'metadata'`): what the next incremental backup compares against.
 * `childrenOf` reads records through the narrow `Provider`, so the same edges walk a repository
 * (prune's live set, ops/backup-prune.ts).
 */
import type { Digest } from '../core/digest.js';
import type { Descriptor, Index, Manifest } from '../core/oci.js';
import { MediaType, isIndexType, isManifestType } from '../core/media-types.js';
import { TREE_LIMIT, parseRecord, treeChildren } from '../core/volume-snapshot-format.js';
import type { Provider } from '../content/content-store.js';
import { acquireStoreExclusive, mark, sweep, type Children, type GcResult } from '../content/gc.js';
import type { LocalContentStore } from '../content/local-store.js';
import { RefStore } from '../content/refs.js';
import { forEachLimit } from '../core/semaphore.js';
import { SnapshotRefs } from '../volumes/snapshot-refs.js';
import { decodeTreeBlob } from '../volumes/tree-blob.js';
import { backupChildren, parseBackupRecord } from './backup-format.js';

export type RootSource = (content: LocalContentStore) => Promise<Descriptor[]>;

/** `metadata`: follow records and trees, not file chunks (those live in a repository). */
export type RootEdges = 'all' | 'metadata';

const snapshotRoots = (held: boolean): RootSource => async (content) =>
  (await new SnapshotRefs(content.root).list()).filter((r) => (r.heldIn !== undefined) === held).map((r) => r.descriptor);

/** Everything that keeps blobs alive. */
export const ROOT_SOURCES: Array<{ name: string; roots: RootSource; edges?: RootEdges }> = [
  { name: 'images', roots: (content) => new RefStore(content.root).entries() },
  { name: 'volume snapshots', roots: snapshotRoots(false) },
  { name: 'volume snapshots held in repositories', roots: snapshotRoots(true), edges: 'metadata' },
  { name: 'containers', roots: async (content) => (await import('./snapshot-gc.js')).containerImageRoots(content.root) },
];

/** The blobs a blob refers to, by its media type. Unknown types are leaves. */
export async function childrenOf(content: Provider, d: Descriptor): Promise<Descriptor[]> {
  if (isManifestType(d.mediaType)) {
    const m = JSON.parse((await content.readBytes(d.digest)).toString('utf8')) as Manifest;
    return [m.config, ...m.layers, ...(m.subject ? [m.subject] : [])];
  }
  if (isIndexType(d.mediaType)) {
    return (JSON.parse((await content.readBytes(d.digest)).toString('utf8')) as Index).manifests;
  }
  // Volume snapshots: record → root tree → subtrees and chunks (the parent snapshot is no edge).
  if (d.mediaType === MediaType.LifeboatVolumeSnapshot) return [parseRecord(await content.readBytes(d.digest, TREE_LIMIT)).tree];
  if (d.mediaType === MediaType.LifeboatTree) return treeChildren(decodeTreeBlob(await content.readBytes(d.digest, TREE_LIMIT)));
  // Backups: record → image manifest, writable layer, volume and bind snapshot records.
  if (d.mediaType === MediaType.LifeboatBackup) return backupChildren(parseBackupRecord(await content.readBytes(d.digest)));
  return [];
}

/** childrenOf without file chunks: the edges of a root whose chunks are held in a repository. */
export async function metadataChildren(content: Provider, d: Descriptor): Promise<Descriptor[]> {
  return (await childrenOf(content, d)).filter((c) => c.mediaType !== MediaType.LifeboatChunk);
}

export interface LiveSet {
  live: Set<Digest>;
  missing: Descriptor[];
  roots: Descriptor[];
}

/**
 * Marks what every root keeps: full closures first, then the records and trees of metadata roots
 * (stopping at blobs the first pass already holds whole). `wrap` adapts the edge functions
 * (system check skips corrupt blobs).
 */
export async function markLive(content: LocalContentStore, wrap: (c: Children) => Children = (c) => c): Promise<LiveSet> {
  const full: Descriptor[] = [];
  const metadata: Descriptor[] = [];
  for (const s of ROOT_SOURCES) (s.edges === 'metadata' ? metadata : full).push(...(await s.roots(content)));
  const first = await mark(content, full, wrap((d) => childrenOf(content, d)));
  const second = await mark(content, metadata, wrap(async (d) => (first.live.has(d.digest) ? [] : metadataChildren(content, d))));
  const missing = new Map([...first.missing, ...second.missing].map((m) => [m.digest, m]));
  return { live: new Set([...first.live, ...second.live]), missing: [...missing.values()], roots: [...full, ...metadata] };
}

export async function allRoots(content: LocalContentStore): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const s of ROOT_SOURCES) out.push(...(await s.roots(content)));
  return out;
}

/**
 * Deletes those of `candidates` that nothing keeps alive, at once instead of at the next GC (a
 * backup's dropped chunks, a restore's pulled ones). Needs the exclusive store lock like GC; when
 * another command holds the store past `timeoutMs` it gives up (LockedError) and GC does it later.
 *
 * `closed`: blobs the caller knows to be a whole closure (every child of one is in it too), such
 * as the trees and chunks of the snapshot a backup just took. When it holds none of the
 * candidates, the mark does not read below them: no candidate can be found there, and an
 * incremental backup's mark reads the old snapshot's trees it replaces, not all of the new one's.
 * When it holds one (a bind snapshot of the same backup is both), the mark reads everything.
 */
export async function dropUnreferenced(content: LocalContentStore, candidates: readonly Descriptor[], opts: { timeoutMs?: number; closed?: { has(digest: Digest): boolean } } = {}): Promise<{ blobs: number; bytes: number }> {
  const lock = await acquireStoreExclusive(content.root, opts.timeoutMs ?? 10_000);
  try {
    const closed = opts.closed && !candidates.some((d) => opts.closed!.has(d.digest)) ? opts.closed : undefined;
    const { live } = await markLive(content, closed ? (c) => async (d) => (closed.has(d.digest) ? [] : c(d)) : undefined);
    const dead = new Map<Digest, Descriptor>();
    for (const d of candidates) if (!live.has(d.digest)) dead.set(d.digest, d);
    const present: Digest[] = [];
    let bytes = 0;
    await forEachLimit(dead.values(), 16, async (d) => {
      const info = await content.info(d.digest);
      if (!info) return;
      present.push(d.digest);
      bytes += info.size;
    });
    if (present.length > 0) await content.deleteMany(present); // one call: a pack is rewritten once for all its dead blobs
    return { blobs: present.length, bytes };
  } finally {
    await lock.release();
  }
}

/** Deletes unreachable blobs under the exclusive store lock. */
export async function collectGarbage(content: LocalContentStore, opts: { dryRun?: boolean } = {}): Promise<GcResult> {
  const lock = await acquireStoreExclusive(content.root);
  try {
    const { live, missing } = await markLive(content);
    const result = { ...(await sweep(content, live, opts)), missing };
    // Unpacked layers follow the same roots: drop those no image or container needs any more.
    if (!opts.dryRun) await (await import('./snapshot-gc.js')).pruneUnpackedLayers(content);
    return result;
  } finally {
    await lock.release();
  }
}
