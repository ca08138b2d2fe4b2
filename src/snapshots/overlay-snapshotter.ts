/**
 * overlayfs over the shared unpacked layers, plus a per-container upper and work dir. The root
 * variant uses trusted.overlay.* whiteouts; the rootless one mounts with `userxattr` inside a user
 * namespace and its layers carry user.overlay.* markers (runtime-probe.sh: without userxattr the
 * mount "works" but `rm -rf` of a lower dir then fails with EIO).
 *
 * redirect_dir, index and metacopy are switched off explicitly (not left to the kernel default):
 * with them on, a renamed lower directory or a chmod would be recorded as overlay metadata that
 * points into the lowers, and commit, which reads the upper dir as a plain tree of changes, would
 * miss data. With them off, such changes are full copy-ups, exactly what a layer tar can express.
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { ContainerError } from '../core/errors.js';
import { UnpackedLayers } from './unpacked-layers.js';
import { rootfsDir, type LayerSource, type PrepareOptions, type PreparedSnapshot, type Snapshotter, type SnapshotterKind } from './snapshotter.js';

/** mount(2) data is one page; keep clear of it with the other options. */
const MAX_OPTIONS_LENGTH = 4000;

export class OverlaySnapshotter implements Snapshotter {
  readonly kind: SnapshotterKind;
  readonly needsUserNamespace: boolean;
  readonly layers: UnpackedLayers;

  constructor(readonly root: string, opts: { rootless?: boolean } = {}) {
    this.needsUserNamespace = !!opts.rootless;
    this.kind = opts.rootless ? 'overlay-userxattr' : 'overlay';
    this.layers = new UnpackedLayers(root, opts.rootless ? 'user' : 'trusted');
  }

  upperDir(dir: string): string {
    return join(dir, 'upper');
  }

  private lowers(dir: string, chain: readonly Digest[], initDir?: string): string[] {
    const lowers = [...chain].reverse().map((c) => this.layers.fsDir(c));
    if (initDir) lowers.unshift(initDir);
    if (lowers.length === 0) lowers.push(join(dir, 'empty')); // overlay needs one lower, even for an empty image
    return lowers;
  }

  /** Unpacks what is missing (call inside withLayersInUse), then creates upper/ and work/. */
  async prepare(dir: string, layers: readonly LayerSource[], opts: PrepareOptions = {}): Promise<PreparedSnapshot> {
    const chain = await this.layers.ensure(layers);
    const lowers = this.lowers(dir, chain, opts.initDir);
    for (const p of [...lowers, dir]) {
      if (/[,:\\]/.test(p)) throw new ContainerError(`cannot mount overlay: the path ${p} contains ',', ':' or '\\'`, { hint: 'use a store root (--root) whose path has none of these characters' });
    }
    await mkdir(join(dir, 'upper'), { recursive: true, mode: 0o755 });
    await mkdir(join(dir, 'work'), { recursive: true, mode: 0o700 });
    await mkdir(rootfsDir(dir), { recursive: true, mode: 0o755 });
    if (chain.length === 0 && !opts.initDir) await mkdir(join(dir, 'empty'), { recursive: true });
    const options = [
      `lowerdir=${lowers.join(':')}`,
      `upperdir=${join(dir, 'upper')}`,
      `workdir=${join(dir, 'work')}`,
      'index=off',
      'metacopy=off',
      // With userxattr the kernel accepts only "nofollow" (not created and never followed).
      this.needsUserNamespace ? 'redirect_dir=nofollow' : 'redirect_dir=off',
      ...(this.needsUserNamespace ? ['userxattr'] : []),
    ];
    if (options.join(',').length > MAX_OPTIONS_LENGTH) {
      throw new ContainerError(`cannot mount overlay: ${chain.length} layers make the mount options longer than the kernel accepts`, {
        hint: 'squash the image into fewer layers, or use a shorter store root path',
      });
    }
    return { chain, mounts: [{ type: 'overlay', source: 'overlay', target: rootfsDir(dir), options }] };
  }

  async remove(dir: string): Promise<void> {
    // overlay leaves work/work at mode 000; without root, rm cannot enter it until it is opened up.
    await chmod(join(dir, 'work', 'work'), 0o700).catch(() => undefined);
    for (const sub of ['upper', 'work', 'rootfs', 'empty']) await rm(join(dir, sub), { recursive: true, force: true });
  }

  describe(dir: string, chain: readonly Digest[]): Record<string, string> {
    return {
      LowerDir: [...chain].reverse().map((c) => this.layers.fsDir(c)).join(':'),
      UpperDir: join(dir, 'upper'),
      WorkDir: join(dir, 'work'),
      MergedDir: rootfsDir(dir),
    };
  }
}

