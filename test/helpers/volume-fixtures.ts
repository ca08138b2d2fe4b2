/**
 * Directory trees for volume snapshot tests, described as data and built with real syscalls:
 * files (with content, or sparse with holes), directories, symlinks (any target bytes), hardlinks,
 * FIFOs, devices, owners, modes with setuid/setgid/sticky, nanosecond mtimes, xattrs with binary
 * values, ACLs (setfacl), and names that are not UTF-8. `ALL_KINDS` is the fixture the round-trip
 * tests use; `stores()` sets up a LocalContentStore and a VolumeStore under one temp root.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, lutimesSync, mkdirSync, openSync, closeSync, writeSync, ftruncateSync, symlinkSync, lchownSync, chmodSync, renameSync, statSync } from 'node:fs';
import type { Digest } from '../../src/core/digest.js';
import { isUtf8 } from 'node:buffer';
import { native, S_IFBLK, S_IFCHR, S_IFIFO } from '../../src/platform/native.js';
import { HostDir } from '../../src/volumes/host-dir.js';
import { LocalContentStore } from '../../src/content/local-store.js';
import { VolumeStore } from '../../src/volumes/volume-store.js';
import { hasCommand } from './requirements.js';

export type Name = string | Buffer;

export type FixtureNode = { path: Name[]; mode?: number; uid?: number; gid?: number; mtime?: number; xattrs?: Record<string, string | Buffer>; acl?: string } & (
  | { type: 'file'; data?: string | Buffer; /** total size; bytes beyond data are a hole */ size?: number; /** data written at this offset (a hole before it) */ offset?: number }
  | { type: 'dir' }
  | { type: 'symlink'; target: string | Buffer }
  | { type: 'hardlink'; to: Name[] }
  | { type: 'fifo' }
  | { type: 'char' | 'block'; major: number; minor: number }
);

const buf = (n: Name) => (Buffer.isBuffer(n) ? n : Buffer.from(n));

async function parentDir(root: string, path: Name[]): Promise<{ dir: HostDir; opened: HostDir[] }> {
  let dir = HostDir.root(root);
  const opened: HostDir[] = [];
  for (const c of path.slice(0, -1)) {
    dir = await dir.subdir(buf(c));
    opened.push(dir);
  }
  return { dir, opened };
}

/** Builds `nodes` (parents before children) under the existing directory `root`. */
export async function buildTree(root: string, nodes: FixtureNode[]): Promise<void> {
  for (const n of nodes) {
    const { dir, opened } = await parentDir(root, n.path);
    try {
      const name = buf(n.path[n.path.length - 1]!);
      const temp = isUtf8(name) || n.type === 'dir' ? name : Buffer.from(`.fixture-${Math.random().toString(36).slice(2)}`);
      const path = dir.child(temp);
      switch (n.type) {
        case 'file': {
          const fd = openSync(path, 'wx', 0o644);
          const data = n.data === undefined ? Buffer.alloc(0) : buf(n.data);
          writeSync(fd, data, 0, data.length, n.offset ?? 0);
          if (n.size !== undefined) ftruncateSync(fd, n.size);
          closeSync(fd);
          break;
        }
        case 'dir':
          mkdirSync(path, 0o755);
          break;
        case 'symlink':
          symlinkSync(buf(n.target), path);
          break;
        case 'hardlink': {
          const src = await parentDir(root, n.to);
          linkSync(src.dir.child(buf(n.to[n.to.length - 1]!)), path);
          for (const d of src.opened) await d.close();
          break;
        }
        case 'fifo':
          native.mknod(dir.childAlias(temp)!, S_IFIFO | 0o644, 0, 0);
          break;
        case 'char':
        case 'block':
          native.mknod(dir.childAlias(temp)!, (n.type === 'char' ? S_IFCHR : S_IFBLK) | 0o600, n.major, n.minor);
          break;
      }
      if (n.type === 'hardlink') continue;
      const sub = n.type === 'dir' ? await dir.subdir(name) : undefined;
      if (sub) opened.push(sub);
      const alias = sub ? sub.selfAlias : dir.childAlias(temp)!;
      if (n.uid !== undefined || n.gid !== undefined) lchownSync(path, n.uid ?? 0, n.gid ?? 0);
      if (n.acl) execFileSync('setfacl', ['-m', n.acl, alias]);
      for (const [k, v] of Object.entries(n.xattrs ?? {})) native.lsetxattr(alias, k, buf(v));
      if (n.mode !== undefined && n.type !== 'symlink') chmodSync(path, n.mode);
      if (temp !== name) renameSync(path, dir.child(name));
    } finally {
      for (const d of opened.reverse()) await d.close();
    }
  }
  // mtimes last, deepest first: creating children moves a directory's mtime.
  for (const n of [...nodes].reverse()) {
    if (n.mtime === undefined || n.type === 'hardlink') continue;
    const { dir, opened } = await parentDir(root, n.path);
    lutimesSync(dir.child(buf(n.path[n.path.length - 1]!)), n.mtime, n.mtime);
    for (const d of opened.reverse()) await d.close();
  }
}

const RAW = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e]); // "f\xff\xfe.bin": not UTF-8
const RAW_DIR = Buffer.from([0x64, 0x69, 0x72, 0xc3, 0x28]); // "dir\xc3(": an invalid UTF-8 sequence

/** Every kind of node a volume can hold; devices only when `root` is true. */
export function allKinds(opts: { root: boolean; acl?: boolean; big?: Buffer }): FixtureNode[] {
  const nodes: FixtureNode[] = [
    { path: ['empty'], type: 'file', mtime: 1_600_000_000.5 },
    { path: ['hello.txt'], type: 'file', data: 'hello world\n', mode: 0o640, uid: 1234, gid: 5678, mtime: 1_700_000_000.123456 },
    { path: ['setuid'], type: 'file', data: '#!/bin/sh\n', mode: 0o4755 },
    { path: ['setgid'], type: 'file', data: 'x', mode: 0o2750 },
    { path: ['sticky'], type: 'dir', mode: 0o1777 },
    { path: ['sticky', 'inner'], type: 'file', data: 'in sticky' },
    { path: ['caps'], type: 'file', data: 'ELF?', xattrs: { 'security.capability': Buffer.from('0100000200200000000000000000000000000000', 'hex') } },
    { path: ['xattrs'], type: 'file', data: 'x', xattrs: { 'user.text': 'value', 'user.binary': Buffer.from([0, 1, 2, 0xff, 0, 0x80]), 'trusted.t': 'only root' } },
    { path: ['sparse'], type: 'file', data: 'tail', offset: 9 * 1024 * 1024, size: 12 * 1024 * 1024 },
    { path: ['holes-only'], type: 'file', size: 5 * 1024 * 1024 },
    { path: ['a'], type: 'dir', mode: 0o750, uid: 42, gid: 43, xattrs: { 'user.dir': 'd' } },
    { path: ['a', 'b'], type: 'dir' },
    { path: ['a', 'b', 'deep.txt'], type: 'file', data: 'deep' },
    { path: ['a', 'hard1'], type: 'file', data: 'shared inode', mode: 0o600 },
    { path: ['hard2'], type: 'hardlink', to: ['a', 'hard1'] },
    { path: ['a', 'b', 'hard3'], type: 'hardlink', to: ['a', 'hard1'] },
    { path: ['abs-link'], type: 'symlink', target: '/etc/passwd', uid: 7, gid: 8 },
    { path: ['rel-link'], type: 'symlink', target: '../a/b' },
    { path: ['dangling'], type: 'symlink', target: 'nowhere/at/all' },
    { path: ['raw-target'], type: 'symlink', target: Buffer.from([0x74, 0xff, 0x00].slice(0, 2)) },
    { path: ['fifo'], type: 'fifo', mode: 0o620 },
    { path: [RAW], type: 'file', data: 'raw name' },
    { path: [RAW_DIR], type: 'dir', xattrs: { 'user.raw': 'dir with a raw name' } },
    { path: [RAW_DIR, 'child'], type: 'file', data: 'inside', xattrs: { 'user.c': 'child xattr' } },
    { path: [RAW_DIR, RAW], type: 'symlink', target: RAW },
    { path: ['unicodé ✓'], type: 'file', data: 'utf-8 name' },
  ];
  if (opts.big) nodes.push({ path: ['big.bin'], type: 'file', data: opts.big });
  if (opts.acl) nodes.push({ path: ['acl'], type: 'file', data: 'acl', acl: 'u:1234:rw,g:99:r' }, { path: ['acl-dir'], type: 'dir', acl: 'd:u:1234:rwx' });
  if (opts.root) nodes.push({ path: ['null'], type: 'char', major: 1, minor: 3, mode: 0o666 }, { path: ['loop9'], type: 'block', major: 7, minor: 9 });
  return nodes;
}

export function hasAcl(): boolean {
  return hasCommand('setfacl');
}

/** A content store and a volume store under one root (the layout the CLI uses). */
export async function stores(root: string): Promise<{ content: LocalContentStore; volumes: VolumeStore }> {
  return { content: await LocalContentStore.open(root), volumes: new VolumeStore(root) };
}

/**
 * Where a stored chunk's bytes are on disk: inside one of the store's packs, or (stored before
 * packs) its own blob file. Tests corrupt chunks here.
 */
export async function chunkBytesAt(content: LocalContentStore, digest: Digest): Promise<{ file: string; offset: number; length: number }> {
  const span = (await content.packs.ready()).span(digest);
  if (span) return { file: span.file, offset: span.offset, length: span.length };
  const file = content.blobPath(digest);
  return { file, offset: 0, length: statSync(file).size };
}
