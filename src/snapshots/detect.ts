/**
 * Which snapshotter this process can use, and why, so `lifeboat info` and `inspect` can say it:
 *
 *   root + overlayfs in the kernel                  → overlay
 *   not root + overlayfs + user namespaces + ≥ 5.11 → overlay-userxattr (rootless)
 *   otherwise                                       → copy
 *
 * LIFEBOAT_SNAPSHOTTER=overlay|overlay-userxattr|copy forces a choice (tests run the same suite
 * with each). Only cheap checks run here: /proc files, no test mount, because `lifeboat run` pays
 * for this on every start. A container remembers the snapshotter it was created with.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { UsageError } from '../core/errors.js';
import { CopySnapshotter } from './copy-snapshotter.js';
import { OverlaySnapshotter } from './overlay-snapshotter.js';
import type { Snapshotter, SnapshotterKind } from './snapshotter.js';

export const SNAPSHOTTER_KINDS: readonly SnapshotterKind[] = ['overlay', 'overlay-userxattr', 'copy'];

export interface SnapshotterChoice {
  kind: SnapshotterKind;
  reason: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function kernelAtLeast(major: number, minor: number, rel = release()): boolean {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

function userNamespacesAllowed(): boolean {
  const max = Number(read('/proc/sys/user/max_user_namespaces') ?? '0');
  const clone = read('/proc/sys/kernel/unprivileged_userns_clone');
  return max > 0 && (clone === undefined || clone.trim() === '1');
}

export function chooseSnapshotter(env: NodeJS.ProcessEnv = process.env, euid = process.geteuid?.() ?? 0): SnapshotterChoice {
  const forced = env.LIFEBOAT_SNAPSHOTTER;
  if (forced) {
    if (!SNAPSHOTTER_KINDS.includes(forced as SnapshotterKind)) throw new UsageError(`LIFEBOAT_SNAPSHOTTER=${forced} is not one of ${SNAPSHOTTER_KINDS.join(', ')}`);
    return { kind: forced as SnapshotterKind, reason: 'chosen with LIFEBOAT_SNAPSHOTTER' };
  }
  const overlay = /\toverlay\n/.test(read('/proc/filesystems') ?? '');
  if (!overlay) return { kind: 'copy', reason: 'the kernel has no overlayfs' };
  if (euid === 0) return { kind: 'overlay', reason: 'running as root with overlayfs' };
  if (!kernelAtLeast(5, 11)) return { kind: 'copy', reason: 'rootless overlay needs kernel 5.11 or later (userxattr)' };
  if (!userNamespacesAllowed()) return { kind: 'copy', reason: 'user namespaces are disabled, so overlay cannot be mounted without root' };
  return { kind: 'overlay-userxattr', reason: 'not root: overlay inside a user namespace with userxattr' };
}

export function openSnapshotter(root: string, kind: SnapshotterKind, euid = process.geteuid?.() ?? 0): Snapshotter {
  const rootless = euid !== 0;
  switch (kind) {
    case 'overlay':
      return new OverlaySnapshotter(root);
    case 'overlay-userxattr':
      return new OverlaySnapshotter(root, { rootless: true });
    case 'copy':
      return new CopySnapshotter(root, { rootless });
  }
}
