/**
 * Metadata for a node the applier just created, in the order that keeps every bit (formats.md E.30,
 * E.31): owner first (lchown clears setuid/setgid and file capabilities), then xattrs (so
 * `security.capability` is set after the chown), then the mode (so setuid survives), then times.
 * Every call is the no-follow variant or is only made on a node we know is not a symlink.
 * These are synchronous on purpose: each takes microseconds, and the async versions cost a libuv
 * thread-pool round trip each, which dominated applying layers of many small files.
 */
import { chmodSync, lchownSync, lutimesSync } from 'node:fs';
import type { TarHeader } from './tar/entry.js';
import { HostileArchiveError, isErrno } from '../core/errors.js';
import { native } from '../platform/native.js';
import { escapeOverlayXattr } from './whiteout.js';

/** Counts of things the applier left out on purpose, reported to the caller. */
export interface SkipCounts {
  /** Device nodes not created because we are not root (or mknod is refused, as in a user namespace). */
  devices: number;
  /** xattrs the filesystem does not support, or that an unprivileged process may not set. */
  xattrs: number;
}

export interface MetadataPolicy {
  sameOwner: boolean;
  isRoot: boolean;
  /** Escape `*.overlay.*` xattrs (overlay mode); see whiteout.ts. */
  escapeOverlayXattrs: boolean;
  skipped: SkipCounts;
}

const MAX_ID = 0xfffffffe; // (uid_t)-1 means "unchanged" to chown
/** Linux dev_t: 12-bit major, 20-bit minor. Larger numbers would be silently truncated by mknod. */
const MAX_MAJOR = 0xfff;
const MAX_MINOR = 0xfffff;

export function checkIds(h: TarHeader): void {
  for (const [what, v] of [['uid', h.uid], ['gid', h.gid]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > MAX_ID) {
      throw new HostileArchiveError(`entry ${JSON.stringify(h.path)} has an invalid ${what} ${v}`, { path: h.path, [what]: v });
    }
  }
}

export function checkDeviceNumbers(h: TarHeader): void {
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;
  if (!ok(h.devmajor, MAX_MAJOR) || !ok(h.devminor, MAX_MINOR)) {
    throw new HostileArchiveError(`device ${JSON.stringify(h.path)} has device number ${h.devmajor}:${h.devminor}, out of range for Linux`, {
      path: h.path,
      devmajor: h.devmajor,
      devminor: h.devminor,
    });
  }
}

export function applyOwner(host: string, h: TarHeader, policy: MetadataPolicy): void {
  if (policy.sameOwner) lchownSync(host, h.uid, h.gid);
}

export function applyXattrs(host: string, h: TarHeader, policy: MetadataPolicy): void {
  for (const [name, value] of h.xattrs) {
    const onDisk = policy.escapeOverlayXattrs ? escapeOverlayXattr(name) : name;
    try {
      native.lsetxattr(host, onDisk, value);
    } catch (err) {
      // containerd: ENOTSUP is ignored, and so is EPERM for user.* on non-regular files (the kernel
      // refuses those on symlinks and devices). Unprivileged, trusted.* and security.* are refused.
      const userOnSpecial = name.startsWith('user.') && h.type !== 'file' && h.type !== 'dir';
      if (isErrno(err, 'ENOTSUP') || (isErrno(err, 'EPERM') && (!policy.isRoot || userOnSpecial))) {
        policy.skipped.xattrs++;
        continue;
      }
      throw err;
    }
  }
}

/** Owner, xattrs, mode and mtime for anything but a directory (whose mode and mtime come last). */
export function applyNodeMetadata(host: string, h: TarHeader, policy: MetadataPolicy): void {
  applyOwner(host, h, policy);
  applyXattrs(host, h, policy);
  if (h.type !== 'symlink') chmodSync(host, h.mode & 0o7777); // Linux has no lchmod; we created it, it is no symlink
  lutimesSync(host, h.mtime, h.mtime);
}
