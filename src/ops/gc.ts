/**
 * Store-wide garbage collection: what is a root, and how one record points at others. Every kind of
 * record Lifeboat keeps (images now; containers, volume snapshots and backups as they arrive) adds
 * its roots to ROOT_SOURCES and its edges to `childrenOf`, so no subsystem can lose another's data.
 */
import type { Descriptor, Index, Manifest } from '../core/oci.js';
import { isIndexType, isManifestType } from '../core/media-types.js';
import { acquireStoreExclusive, mark, sweep, type GcResult } from '../content/gc.js';
import type { LocalContentStore } from '../content/local-store.js';
import { RefStore } from '../content/refs.js';

export type RootSource = (content: LocalContentStore) => Promise<Descriptor[]>;

/** Everything that keeps blobs alive. */
export const ROOT_SOURCES: Array<{ name: string; roots: RootSource }> = [
  { name: 'images', roots: (content) => new RefStore(content.root).entries() },
  { name: 'containers', roots: async (content) => (await import('./snapshot-gc.js')).containerImageRoots(content.root) },
];

/** The blobs a blob refers to, by its media type. Unknown types are leaves. */
export async function childrenOf(content: LocalContentStore, d: Descriptor): Promise<Descriptor[]> {
  if (isManifestType(d.mediaType)) {
    const m = JSON.parse((await content.readBytes(d.digest)).toString('utf8')) as Manifest;
    return [m.config, ...m.layers, ...(m.subject ? [m.subject] : [])];
  }
  if (isIndexType(d.mediaType)) {
    return (JSON.parse((await content.readBytes(d.digest)).toString('utf8')) as Index).manifests;
  }
  return [];
}

export async function allRoots(content: LocalContentStore): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const s of ROOT_SOURCES) out.push(...(await s.roots(content)));
  return out;
}

/** Deletes unreachable blobs under the exclusive store lock. */
export async function collectGarbage(content: LocalContentStore, opts: { dryRun?: boolean } = {}): Promise<GcResult> {
  const lock = await acquireStoreExclusive(content.root);
  try {
    const { live, missing } = await mark(content, await allRoots(content), (d) => childrenOf(content, d));
    const result = { ...(await sweep(content, live, opts)), missing };
    // Unpacked layers follow the same roots: drop those no image or container needs any more.
    if (!opts.dryRun) await (await import('./snapshot-gc.js')).pruneUnpackedLayers(content);
    return result;
  } finally {
    await lock.release();
  }
}
