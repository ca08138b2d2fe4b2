/**
 * The project's small N-API addon (native/syscalls.c): no-follow xattr calls, mknod, syncfs and a
 * non-blocking flock. Node's fs has none of these, and the libraries that wrap xattrs follow
 * symlinks, which the layer applier must never do.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { shippedPath } from './install-paths.js';

export interface NativeSyscalls {
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  lsetxattr(path: string, name: string, value: Buffer): void;
  lremovexattr(path: string, name: string): void;
  /** `mode` carries the file type bits (S_IFCHR, S_IFBLK, S_IFIFO) plus permissions. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  syncfs(fd: number): void;
  /** Never blocks: true when taken (or released), false when another holder has it. */
  flock(fd: number, exclusive: boolean, unlock?: boolean): boolean;
}

/** The addon is built into <package>/native/build/Release by `npm ci`. */
const addon = shippedPath(join('native', 'build', 'Release', 'lifeboat_native.node'), 'run `npm ci` (or `npm run install`) to build it');
export const native: NativeSyscalls = createRequire(addon)(addon) as NativeSyscalls;

export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** Linux dev_t split, as glibc's major()/minor() do. */
export function devMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & 0xfffff000);
}
export function devMinor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
}
