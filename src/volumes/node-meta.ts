/**
 * Reading a node's metadata for a snapshot: type, permission bits (setuid/setgid/sticky included),
 * owner, nanosecond mtime and ctime, inode, and every xattr (ACLs are the system.posix_acl_*
 * xattrs) read with the no-follow calls. Values are kept byte for byte (base64 in the tree).
 */
import { isErrno } from '../core/errors.js';
import { native } from '../platform/native.js';

/** Every xattr of the node at `alias` (a string path; see host-dir.ts), or undefined when it has none. */
export function readXattrs(alias: string): Record<string, string> | undefined {
  let names: string[];
  try {
    names = native.llistxattr(alias);
  } catch (err) {
    if (isErrno(err, 'ENOTSUP', 'EOPNOTSUPP')) return undefined;
    throw err;
  }
  if (names.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const name of names.sort()) {
    const value = native.lgetxattr(alias, name);
    if (value !== null) out[name] = value.toString('base64');
  }
  return Object.keys(out).length ? out : undefined;
}

/** Linux dev_t split for a bigint st_rdev (glibc major()/minor()). */
export function deviceNumbers(rdev: bigint): { devmajor: number; devminor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn & 0xffffffffn));
  return { devmajor: major, devminor: minor };
}
