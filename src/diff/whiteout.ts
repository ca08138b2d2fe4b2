/**
 * Whiteout names in layer tars (OCI `layer.md`) and their overlayfs counterparts (`overlayfs.rst`):
 *
 *   tar                    overlay upper / lower dir
 *   <dir>/.wh.<name>       <dir>/<name> as a char device 0/0
 *   <dir>/.wh..wh..opq     xattr <prefix>.overlay.opaque = "y" on <dir>
 *   <dir>/.wh..wh.<other>  AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): skipped
 *
 * `.wh.`, `.wh..` and `.wh...` would name the directory itself or its parent: refused, since an
 * applier that honoured them could delete the root or what is above it (containerd
 * validateWhiteout, formats.md D.23). Only the name makes a whiteout; type and size do not (D.26).
 *
 * Overlay-private xattrs (`trusted.overlay.*`, `user.overlay.*`) in an archive are escaped the way
 * kernel 6.7+ and umoci do: `trusted.overlay.X` is stored as `trusted.overlay.overlay.X`, which the
 * kernel shows through the mount as `trusted.overlay.X` again, and which it never obeys. Both
 * namespaces are escaped whatever prefix the mount uses, so no archive can make a directory opaque,
 * redirect it or fake a metacopy, even if the layer directory is later mounted in the other mode.
 */
import { HostileArchiveError } from '../core/errors.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

export type WhiteoutKind =
  | { kind: 'none' }
  | { kind: 'whiteout'; name: string }
  | { kind: 'opaque' }
  | { kind: 'meta' };

/** What the last component `base` of archive entry `path` means. Throws for invalid whiteouts. */
export function classifyWhiteout(base: string, path: string): WhiteoutKind {
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === WHITEOUT_OPAQUE) return { kind: 'opaque' };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') {
    throw new HostileArchiveError(`invalid whiteout entry ${JSON.stringify(path)}: it names no file, or the directory itself or its parent`, {
      path,
    });
  }
  return { kind: 'whiteout', name };
}

/**
 * Checks the directories above an entry. `skip` when the entry lives under AUFS metadata
 * (`.wh..wh.plnk/...`); throws when a whiteout name is used as a directory (`.wh.x/y`), which no
 * producer writes and which would otherwise create a `.wh.` directory in the rootfs.
 */
export function checkParentNames(parents: readonly string[], path: string): 'ok' | 'skip' {
  for (const part of parents) {
    if (part.startsWith(WHITEOUT_META_PREFIX)) return 'skip';
    if (part.startsWith(WHITEOUT_PREFIX)) {
      throw new HostileArchiveError(`invalid entry ${JSON.stringify(path)}: a whiteout name is used as a directory`, { path });
    }
  }
  return 'ok';
}

export type OverlayXattrPrefix = 'trusted' | 'user';

const OVERLAY_XATTR = /^(trusted|user)\.overlay\./;

/** True for xattrs overlayfs reserves for itself (opaque, redirect, metacopy, origin, ...). */
export function isOverlayXattr(name: string): boolean {
  return OVERLAY_XATTR.test(name);
}

/** `trusted.overlay.X` → `trusted.overlay.overlay.X` (and the same for user.); others unchanged. */
export function escapeOverlayXattr(name: string): string {
  const m = OVERLAY_XATTR.exec(name);
  return m ? `${m[0]}overlay.${name.slice(m[0].length)}` : name;
}

export function opaqueXattr(prefix: OverlayXattrPrefix): string {
  return `${prefix}.overlay.opaque`;
}

/** Overlay whiteouts are char devices with device number 0/0. */
export function isOverlayWhiteout(st: { isCharacterDevice(): boolean; rdev: number | bigint }): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}
