/**
 * Which unpacked layers are still needed, by marking instead of counting: every layer of every
 * image in the store (so `run` of a known image does not unpack again), and every layer of every
 * container, whether or not its image still exists (`rmi -f` leaves running containers intact).
 * Everything else under snapshots/ is deleted. Called after rm, rmi, image prune and system gc.
 */
import { type ImageConfig, type Manifest } from '../core/oci.js';
import { chainIds } from '../core/hashing.js';
import type { LocalContentStore } from '../content/local-store.js';
import { RefStore } from '../content/refs.js';
import { ContainerStore } from '../runtime/container-store.js';
import { UnpackedLayers, type LayerPruneResult } from '../snapshots/unpacked-layers.js';

/** Chain IDs that images and containers need. */
export async function neededLayers(content: LocalContentStore): Promise<Set<string>> {
  const needed = new Set<string>();
  for (const d of await new RefStore(content.root).entries()) {
    try {
      const manifest = JSON.parse((await content.readBytes(d.digest)).toString('utf8')) as Manifest;
      const config = JSON.parse((await content.readBytes(manifest.config.digest)).toString('utf8')) as ImageConfig;
      for (const c of chainIds(config.rootfs.diff_ids)) needed.add(c);
    } catch {
      /* an index or a broken image: it keeps no unpacked layers */
    }
  }
  for (const rec of await new ContainerStore(content.root).list()) for (const c of rec.rootfs.chain) needed.add(c);
  return needed;
}

export async function pruneUnpackedLayers(content: LocalContentStore): Promise<LayerPruneResult> {
  return new UnpackedLayers(content.root).prune(() => neededLayers(content));
}

/** GC root source: the manifests of the images containers were created from. */
export async function containerImageRoots(root: string) {
  return (await new ContainerStore(root).list()).map((c) => c.imageManifest).filter((d) => d !== undefined);
}
