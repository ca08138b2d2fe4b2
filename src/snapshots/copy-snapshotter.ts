/**
 * The fallback when overlayfs is not available (or not allowed): every container gets a private
 * copy of its image's root filesystem, built by applying each layer in flatten mode (a whiteout
 * deletes the lower path) into <dir>/upper, and the rootfs is a bind mount of that tree. Nothing is
 * shared between containers and creating one costs a full unpack, which is why detect.ts prefers
 * overlay. Because upper/ is the whole tree and not a diff, commit must compare it with the image
 * (kind 'copy' says so).
 */
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { chainIds } from '../core/hashing.js';
import { rootfsDir, type LayerSource, type PrepareOptions, type PreparedSnapshot, type Snapshotter } from './snapshotter.js';

export class CopySnapshotter implements Snapshotter {
  readonly kind = 'copy' as const;
  readonly needsUserNamespace: boolean;

  constructor(readonly root: string, opts: { rootless?: boolean } = {}) {
    this.needsUserNamespace = !!opts.rootless;
  }

  upperDir(dir: string): string {
    return join(dir, 'upper');
  }

  async prepare(dir: string, layers: readonly LayerSource[], opts: PrepareOptions = {}): Promise<PreparedSnapshot> {
    const upper = this.upperDir(dir);
    const chain = chainIds(layers.map((l) => l.diffId));
    await mkdir(upper, { recursive: true, mode: 0o755 });
    await mkdir(rootfsDir(dir), { recursive: true, mode: 0o755 });
    const { unpackLayer } = await import('../diff/unpack.js');
    try {
      for (const layer of layers) {
        await unpackLayer(upper, await layer.open(), {
          whiteouts: 'flatten',
          diffId: layer.diffId,
          ...(layer.compression ? { compression: layer.compression } : {}),
        });
      }
      // Mountpoints the runtime needs, without replacing anything the image has.
      if (opts.initDir) await cp(opts.initDir, upper, { recursive: true, force: false, errorOnExist: false, preserveTimestamps: true });
    } catch (err) {
      await rm(upper, { recursive: true, force: true });
      throw err;
    }
    return { chain, mounts: [{ type: 'none', source: upper, target: rootfsDir(dir), options: ['bind'] }] };
  }

  async remove(dir: string): Promise<void> {
    for (const sub of ['upper', 'rootfs']) await rm(join(dir, sub), { recursive: true, force: true });
  }

  describe(dir: string, _chain: readonly Digest[]): Record<string, string> {
    return { RootDir: this.upperDir(dir), MergedDir: rootfsDir(dir) };
  }
}
