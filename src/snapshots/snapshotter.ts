/**
 * The seam between images and the runtime: a Snapshotter turns an image's layers into a root
 * filesystem a container can write to, and hands back only a list of mounts. The runtime performs
 * the mounts (inside the container's own mount namespace) and never looks inside the snapshotter.
 *
 * Lifecycle of a container's snapshot:
 *
 *   prepare(dir, layers) → every layer unpacked once under snapshots/<chainid-hex>/ (shared by
 *                          all containers), the writable layer created in <dir>
 *                        → Mount[] whose first entry assembles the rootfs at <dir>/rootfs
 *   (runtime mounts them, the container runs and writes into upperDir(dir))
 *   remove(dir)          → the writable layer is gone; shared layers stay until nothing needs them
 *                          (UnpackedLayers.prune, driven by ops from images and containers)
 *
 * Three implementations, chosen by detect.ts and reported in `lifeboat info` and `inspect`:
 *   overlay           root: overlayfs over the shared layers, trusted.overlay.* whiteouts
 *   overlay-userxattr rootless: the same inside a user namespace with `-o userxattr` and
 *                     user.overlay.* whiteouts
 *   copy              no overlay at all: each layer applied in flatten mode into a private copy
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../core/digest.js';
import type { Compression } from '../core/media-types.js';

/** One mount, in the shape of mount(8): `mount -t <type> -o <options> <source> <target>`. */
export interface Mount {
  type: string;
  source: string;
  /** Absolute host path; absent means the container's rootfs mountpoint. */
  target?: string;
  options: string[];
}

export type SnapshotterKind = 'overlay' | 'overlay-userxattr' | 'copy';

/** One layer of an image, as the content store provides it. */
export interface LayerSource {
  diffId: Digest;
  /** Compression declared by the layer's media type; sniffed when absent. */
  compression?: Compression;
  open(): Promise<Readable>;
}

export interface PrepareOptions {
  /**
   * A read-only directory stacked above the image layers (the runtime's "init layer": mountpoints
   * for /etc/hostname, /proc, /dev, ...), so that those never show up as changes in the upper dir.
   */
  initDir?: string;
}

export interface PreparedSnapshot {
  /** Chain IDs of the image's layers, bottom first (what keeps shared layers alive). */
  chain: Digest[];
  /** The rootfs mount (target = <dir>/rootfs), ready for the runtime. */
  mounts: Mount[];
}

export interface Snapshotter {
  readonly kind: SnapshotterKind;
  /** Whether mounting needs a user namespace (rootless); the runtime creates one when true. */
  readonly needsUserNamespace: boolean;
  prepare(dir: string, layers: readonly LayerSource[], opts?: PrepareOptions): Promise<PreparedSnapshot>;
  /** Removes the writable layer of `dir` (and its work dir); never a shared layer. */
  remove(dir: string): Promise<void>;
  /** Where the container's changes are (overlay: the upper dir; copy: the whole private tree). */
  upperDir(dir: string): string;
  /** Docker's GraphDriver.Data for `inspect`. */
  describe(dir: string, chain: readonly Digest[]): Record<string, string>;
}

/** Where a snapshot's rootfs is assembled, for every implementation. */
export function rootfsDir(dir: string): string {
  return `${dir}/rootfs`;
}
