/**
 * Metadata for a node the restorer just created, in the order that keeps every bit (the same
 * order as diff/node-metadata.ts): owner first (chown clears setuid/setgid and file capabilities),
 * then xattrs (so security.capability lands after the chown), then the mode (so setuid survives),
 * then the times. Every call is a no-follow variant or is made only on a node we created and know
 * is not a symlink. xattrs the filesystem refuses (ENOTSUP, or EPERM when not root) are counted.
 */
import { chmodSync, lchownSync, lutimesSync } from 'node:fs';
import { chmod, lchown, lutimes } from 'node:fs/promises';
import { isErrno } from '../core/errors.js';
import type { RootMeta, TreeEntry } from '../core/volume-snapshot-format.js';
import { native } from '../platform/native.js';
import type { HostPath } from './host-dir.js';

export interface ApplyPolicy {
  /** Restore owners (default when root). */
  sameOwner: boolean;
  isRoot: boolean;
  skipped: { devices: number; xattrs: number };
}

export function defaultPolicy(): ApplyPolicy {
  const isRoot = process.getuid?.() === 0;
  return { sameOwner: isRoot, isRoot, skipped: { devices: 0, xattrs: 0 } };
}

/** Nanoseconds since the epoch (decimal string) → seconds as a double. */
export function nsToSeconds(ns: string): number {
  const v = BigInt(ns);
  return Number(v / 1_000_000_000n) + Number(v % 1_000_000_000n) / 1e9;
}

/**
 * The value to hand Node's utimes for a nanosecond time. libuv truncates it to whole microseconds
 * (uv__fs_to_timespec), so the restored time is the snapshot's to the microsecond; the half
 * microsecond added keeps the double's rounding error from truncating to the microsecond before.
 */
export function utimesSeconds(ns: string): number {
  const micros = BigInt(ns) / 1000n - (BigInt(ns) < 0n && BigInt(ns) % 1000n !== 0n ? 1n : 0n);
  return (Number(micros) + 0.5) / 1e6;
}

export function applyXattrs(alias: string, xattrs: Record<string, string> | undefined, policy: ApplyPolicy): void {
  for (const [name, value] of Object.entries(xattrs ?? {})) {
    try {
      native.lsetxattr(alias, name, Buffer.from(value, 'base64'));
    } catch (err) {
      if (isErrno(err, 'ENOTSUP', 'EOPNOTSUPP') || (isErrno(err, 'EPERM') && !policy.isRoot)) {
        policy.skipped.xattrs++;
        continue;
      }
      throw err;
    }
  }
}

/**
 * Owner, xattrs, mode and mtime of a restored node. `path` is what fs calls use, `alias` a string
 * path to the same node for the native xattr calls (see host-dir.ts).
 */
export async function applyMeta(path: HostPath, alias: string, e: Pick<TreeEntry, 'type' | 'uid' | 'gid' | 'mode' | 'mtime' | 'xattrs'> | (RootMeta & { type: 'dir' }), policy: ApplyPolicy): Promise<void> {
  if (policy.sameOwner) await lchown(path, e.uid, e.gid);
  applyXattrs(alias, e.xattrs, policy);
  if (e.type !== 'symlink') await chmod(path, e.mode & 0o7777);
  const t = utimesSeconds(e.mtime);
  await lutimes(path, t, t);
}

/** The same, synchronously (nodes the restorer creates on the main thread: cheap, page-cache only). */
export function applyMetaSync(path: HostPath, alias: string, e: Pick<TreeEntry, 'type' | 'uid' | 'gid' | 'mode' | 'mtime' | 'xattrs'>, policy: ApplyPolicy): void {
  if (policy.sameOwner) lchownSync(path, e.uid, e.gid);
  applyXattrs(alias, e.xattrs, policy);
  if (e.type !== 'symlink') chmodSync(path, e.mode & 0o7777);
  const t = utimesSeconds(e.mtime);
  lutimesSync(path, t, t);
}
