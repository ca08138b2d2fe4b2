/**
 * Snapshots of a directory tree for comparing two trees: for every path, its type, mode (with
 * setuid/setgid/sticky), uid/gid, size, content hash, link target, device number, xattrs (hex) and
 * mtime in whole seconds; plus the hardlink groups (paths sharing an inode). `diffTrees` lists the
 * differences in words a failing test can print.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { native, devMajor, devMinor } from '../../src/platform/native.js';
import { typeOf } from './raw-tree.js';

export interface NodeSnapshot {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  link?: string;
  rdev?: string;
  xattrs: Record<string, string>;
  mtime: number;
}

export interface TreeSnapshot {
  nodes: Map<string, NodeSnapshot>;
  /** Paths that share an inode, each group sorted, groups sorted. */
  linkGroups: string[][];
}

export interface SnapshotOptions {
  /** Keep an xattr in the snapshot (default: all). */
  xattrFilter?: (name: string) => boolean;
  /** Leave the mtime out for nodes matching this (e.g. directories a test changed). */
  ignoreMtime?: (path: string, node: NodeSnapshot) => boolean;
  /** Leave out these paths and everything below them. */
  exclude?: string[];
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function snapshotTree(root: string, opts: SnapshotOptions = {}): Promise<TreeSnapshot> {
  const nodes = new Map<string, NodeSnapshot>();
  const inodes = new Map<string, string[]>();
  const excluded = new Set(opts.exclude ?? []);
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (excluded.has(path)) continue;
      const host = join(dir, name);
      const st = await lstat(host);
      const type = typeOf(st);
      const xattrs: Record<string, string> = {};
      for (const x of native.llistxattr(host).sort()) {
        if (opts.xattrFilter && !opts.xattrFilter(x)) continue;
        xattrs[x] = native.lgetxattr(host, x)?.toString('hex') ?? '';
      }
      const node: NodeSnapshot = { type, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, xattrs, mtime: Math.floor(st.mtimeMs / 1000) };
      if (type === 'file') {
        node.size = st.size;
        node.sha256 = await hashFile(host);
      }
      if (type === 'symlink') node.link = await readlink(host);
      if (type === 'char' || type === 'block') node.rdev = `${devMajor(st.rdev)}:${devMinor(st.rdev)}`;
      if (opts.ignoreMtime?.(path, node)) node.mtime = -1;
      nodes.set(path, node);
      if (type !== 'dir' && st.nlink > 1) {
        const id = `${st.dev}:${st.ino}`;
        inodes.set(id, [...(inodes.get(id) ?? []), path]);
      }
      if (type === 'dir') await walk(host, path);
    }
  };
  await walk(root, '');
  const linkGroups = [...inodes.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return { nodes, linkGroups };
}

/** Human-readable differences between two snapshots; empty when they are the same. */
export function diffTrees(expected: TreeSnapshot, actual: TreeSnapshot): string[] {
  const out: string[] = [];
  for (const [path, a] of expected.nodes) {
    const b = actual.nodes.get(path);
    if (!b) {
      out.push(`missing: ${path}`);
      continue;
    }
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof NodeSnapshot>) {
      const va = JSON.stringify(a[key]);
      const vb = JSON.stringify(b[key]);
      if (va !== vb) out.push(`${path}: ${key} expected ${va}, got ${vb}`);
    }
  }
  for (const path of actual.nodes.keys()) if (!expected.nodes.has(path)) out.push(`unexpected: ${path}`);
  const ga = JSON.stringify(expected.linkGroups);
  const gb = JSON.stringify(actual.linkGroups);
  if (ga !== gb) out.push(`hardlink groups: expected ${ga}, got ${gb}`);
  return out;
}

/** Snapshots both trees and returns their differences. */
export async function compareTrees(expected: string, actual: string, opts: SnapshotOptions = {}): Promise<string[]> {
  return diffTrees(await snapshotTree(expected, opts), await snapshotTree(actual, opts));
}
