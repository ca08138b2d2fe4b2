/**
 * Unpacked layers shared by every container: snapshots/<chainid-hex>/fs holds one layer's own
 * changes (overlay-mode whiteouts, so the directory can be an overlay lowerdir as is) and
 * snapshots/<chainid-hex>/layer.json says where it came from.
 *
 * A layer directory appears only when complete: it is unpacked into snapshots/.tmp-<hex>-<random>
 * (same filesystem, parent mode 0700), its DiffID checked over the whole stream, then renamed into
 * place. Two processes unpacking the same layer serialize on a per-layer flock, and a lost rename
 * race is still success (the winner's directory is identical by content addressing).
 *
 * Nothing counts references: removal marks from the outside. Whoever creates a record that needs
 * layers holds the layers lock shared from unpack until the record is written (withLayersInUse);
 * prune() takes it exclusive and deletes every layer not in the `needed` set its caller computes,
 * under that lock, from images and containers (ops/snapshot-gc.ts).
 */
import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOfHex, hexOf, type Digest } from '../core/digest.js';
import { isErrno } from '../core/errors.js';
import { storeLayout } from '../core/layout.js';
import { chainIds } from '../core/hashing.js';
import { fsyncDir, uniqueSuffix } from '../platform/durable.js';
import { withLock } from '../platform/file-lock.js';
import type { OverlayXattrPrefix } from '../diff/whiteout.js';
import type { LayerSource } from './snapshotter.js';

export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  /** Which overlay xattr namespace the opaque markers use. */
  xattrPrefix: OverlayXattrPrefix;
  unpacked: string;
  entries: number;
  bytes: number;
}

export interface LayerPruneResult {
  removed: Digest[];
}

function layersLock(root: string): string {
  return join(storeLayout(root).locks, 'snapshots.lock');
}

/** Runs `fn` while no prune can delete layers: wrap unpack + writing the record that needs them. */
export async function withLayersInUse<T>(root: string, fn: () => Promise<T>): Promise<T> {
  return withLock(layersLock(root), { exclusive: false, timeoutMs: 600_000, what: 'the unpacked layers (a prune is running)' }, fn);
}

export class UnpackedLayers {
  readonly dir: string;

  constructor(readonly root: string, readonly xattrPrefix: OverlayXattrPrefix = 'trusted') {
    this.dir = storeLayout(root).snapshots;
  }

  /** The directory an overlay mount uses as a lowerdir. */
  fsDir(chainId: Digest): string {
    return join(this.dir, hexOf(chainId), 'fs');
  }

  async has(chainId: Digest): Promise<boolean> {
    return stat(join(this.dir, hexOf(chainId), 'layer.json')).then(() => true, () => false);
  }

  /** Unpacks whatever is missing; returns the chain IDs, bottom first. Call inside withLayersInUse. */
  async ensure(layers: readonly LayerSource[]): Promise<Digest[]> {
    const chain = chainIds(layers.map((l) => l.diffId));
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (let i = 0; i < layers.length; i++) {
      if (await this.has(chain[i]!)) continue;
      await this.unpackOne(chain[i]!, i > 0 ? chain[i - 1]! : null, layers[i]!);
    }
    return chain;
  }

  private async unpackOne(chainId: Digest, parent: Digest | null, layer: LayerSource): Promise<void> {
    const hex = hexOf(chainId);
    const lock = join(storeLayout(this.root).locks, `unpack-${hex}.lock`);
    await withLock(lock, { exclusive: true, timeoutMs: 3_600_000, what: `layer ${hex.slice(0, 12)} (being unpacked)` }, async () => {
      if (await this.has(chainId)) return; // another process finished it while we waited
      const tmp = join(this.dir, `.tmp-${hex}-${uniqueSuffix()}`);
      try {
        await mkdir(join(tmp, 'fs'), { recursive: true, mode: 0o700 });
        await chmod(join(tmp, 'fs'), 0o755); // the layer's own "./" entry, if any, overrides this
        const { unpackLayer } = await import('../diff/unpack.js'); // only when a layer is missing: keeps `run` light
        const result = await unpackLayer(join(tmp, 'fs'), await layer.open(), {
          whiteouts: 'overlay',
          overlayXattrPrefix: this.xattrPrefix,
          diffId: layer.diffId,
          ...(layer.compression ? { compression: layer.compression } : {}),
        });
        const record: LayerRecord = { chainId, diffId: layer.diffId, parent, xattrPrefix: this.xattrPrefix, unpacked: new Date().toISOString(), entries: result.entries, bytes: result.bytes };
        await writeFile(join(tmp, 'layer.json'), JSON.stringify(record, null, 2) + '\n');
        try {
          await rename(tmp, join(this.dir, hex));
        } catch (err) {
          if (!isErrno(err, 'EEXIST', 'ENOTEMPTY')) throw err;
          await rm(tmp, { recursive: true, force: true }); // lost a race: the winner's copy is identical
          return;
        }
        await fsyncDir(this.dir);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
    });
  }

  /** Chain IDs of every complete unpacked layer. */
  async list(): Promise<Digest[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map(digestOfHex);
  }

  /**
   * Deletes every unpacked layer not in the set `needed()` returns, and leftovers of interrupted
   * unpacks. `needed` is computed while the layers lock is held exclusive, so no unpack or
   * container creation is half-way through and every record that needs a layer is on disk.
   */
  async prune(needed: () => Promise<ReadonlySet<string>>): Promise<LayerPruneResult> {
    return withLock(layersLock(this.root), { exclusive: true, timeoutMs: 60_000, what: 'the unpacked layers' }, async () => {
      const keep = await needed();
      const removed: Digest[] = [];
      for (const name of await readdir(this.dir).catch(() => [] as string[])) {
        const path = join(this.dir, name);
        if (name.startsWith('.tmp-') || name.startsWith('.trash-')) {
          await rm(path, { recursive: true, force: true });
          continue;
        }
        if (!/^[a-f0-9]{64}$/.test(name) || keep.has(`sha256:${name}`)) continue;
        const trash = join(this.dir, `.trash-${name}-${uniqueSuffix()}`);
        await rename(path, trash); // gone from view at once, even if deleting the files takes long
        await rm(trash, { recursive: true, force: true });
        await rm(join(storeLayout(this.root).locks, `unpack-${name}.lock`), { force: true });
        removed.push(digestOfHex(name));
      }
      return { removed };
    });
  }
}
