/**
 * A byte-exact picture of a directory tree for round-trip tests of volume snapshots: names are
 * raw bytes (shown hex-escaped when not UTF-8, where tree-compare.ts's string walk cannot go), and
 * every node carries type, mode (setuid/setgid/sticky), owner, size, content hash, link target
 * bytes, device numbers, all xattrs (ACLs included) read without following links, nanosecond
 * mtime, and for files the allocated blocks (to see holes). Hardlink groups are listed. `diffRaw`
 * compares two pictures and says in words what differs.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { devMajor, devMinor } from '../../src/platform/native.js';
import { HostDir } from '../../src/volumes/host-dir.js';
import { nodeTypeOf, type StatKind } from '../../src/core/volume-snapshot-format.js';
import { readXattrs } from '../../src/volumes/node-meta.js';

export interface RawNode {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  size?: number;
  sha256?: string;
  /** 512-byte blocks allocated (files only). */
  blocks?: number;
  link?: string;
  rdev?: string;
  xattrs: Record<string, string>;
}

export interface RawTree {
  nodes: Map<string, RawNode>;
  linkGroups: string[][];
}

function show(name: Buffer): string {
  return isUtf8(name) ? name.toString('utf8') : [...name].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

/** The kind of node a stat describes, in the names the tree helpers use. */
export function typeOf(st: StatKind): string {
  return nodeTypeOf(st) ?? 'socket';
}

export async function rawTree(root: string): Promise<RawTree> {
  const nodes = new Map<string, RawNode>();
  const inodes = new Map<string, string[]>();
  const walk = async (dir: HostDir, rel: string): Promise<void> => {
    const names = readdirSync(dir.path, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) {
      const key = rel ? `${rel}/${show(name)}` : show(name);
      const path = dir.child(name);
      const st = lstatSync(path, { bigint: true });
      const type = typeOf(st);
      const sub = type === 'dir' ? await dir.subdir(name) : undefined;
      const alias = sub ? sub.selfAlias : dir.childAlias(name);
      const x = alias ? readXattrs(alias) ?? {} : { '(unreadable)': '' };
      const xattrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(x)) xattrs[k] = Buffer.from(v, 'base64').toString('hex');
      const node: RawNode = { type, mode: (st.mode & 0o7777n).toString(8), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs, xattrs };
      if (type === 'file') {
        node.size = Number(st.size);
        node.sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
        node.blocks = Number(st.blocks);
        if (st.nlink > 1n) inodes.set(`${st.dev}:${st.ino}`, [...(inodes.get(`${st.dev}:${st.ino}`) ?? []), key]);
      }
      if (type === 'symlink') node.link = (readlinkSync(path, { encoding: 'buffer' }) as Buffer).toString('hex');
      if (type === 'char' || type === 'block') node.rdev = `${devMajor(Number(st.rdev))}:${devMinor(Number(st.rdev))}`;
      nodes.set(key, node);
      if (sub) {
        try {
          await walk(sub, key);
        } finally {
          await sub.close();
        }
      }
    }
  };
  await walk(HostDir.root(root), '');
  const linkGroups = [...inodes.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return { nodes, linkGroups };
}

export interface DiffOptions {
  /** Largest mtime difference accepted, in ns (Node's utimes sets whole microseconds: libuv truncates). */
  mtimeToleranceNs?: bigint;
  /** Compare allocated blocks (restored sparse files must not be larger than the originals). */
  checkBlocks?: boolean;
  /** Paths whose mtime is not compared (directories a test wrote into). */
  ignoreMtime?: string[];
}

export function diffRaw(expected: RawTree, actual: RawTree, opts: DiffOptions = {}): string[] {
  const tol = opts.mtimeToleranceNs ?? 1000n;
  const out: string[] = [];
  for (const [path, a] of expected.nodes) {
    const b = actual.nodes.get(path);
    if (!b) {
      out.push(`missing: ${path}`);
      continue;
    }
    for (const key of ['type', 'mode', 'uid', 'gid', 'size', 'sha256', 'link', 'rdev', 'xattrs'] as const) {
      const va = JSON.stringify(a[key]);
      const vb = JSON.stringify(b[key]);
      if (va !== vb) out.push(`${path}: ${key} expected ${va}, got ${vb}`);
    }
    const dt = a.mtimeNs > b.mtimeNs ? a.mtimeNs - b.mtimeNs : b.mtimeNs - a.mtimeNs;
    if (dt > tol && !opts.ignoreMtime?.includes(path)) out.push(`${path}: mtime expected ${a.mtimeNs} ns, got ${b.mtimeNs} ns`);
    if (opts.checkBlocks && a.blocks !== undefined && b.blocks !== undefined && b.blocks > a.blocks) out.push(`${path}: ${b.blocks} blocks allocated, the original has ${a.blocks}`);
  }
  for (const path of actual.nodes.keys()) if (!expected.nodes.has(path)) out.push(`unexpected: ${path}`);
  const ga = JSON.stringify(expected.linkGroups);
  const gb = JSON.stringify(actual.linkGroups);
  if (ga !== gb) out.push(`hardlink groups: expected ${ga}, got ${gb}`);
  return out;
}
