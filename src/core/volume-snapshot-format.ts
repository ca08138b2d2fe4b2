/**
 * The volume snapshot format: three kinds of blobs in the content store, each named by the sha256
 * of its stored bytes.
 *
 *   snapshot record (LifeboatVolumeSnapshot, JSON)  volume, time, tags, labels, parent, the volume
 *        │                                          root's owner/mode/xattrs, stats
 *        └─ tree (LifeboatTree, JSON; stored zstd)  one directory: entries sorted by raw name bytes
 *             ├─ tree ...                           a subdirectory's entry names its tree
 *             └─ chunk (LifeboatChunk, bytes)       file data, content-defined, zstd when it saves space
 *
 * A file entry lists its contents as chunk refs ({digest, size} of the stored blob; `length` of the
 * raw data; `raw` = sha256 of the raw data when stored compressed) and holes ({hole: n}, all-zero
 * ranges that are neither stored nor written on restore). Names and symlink targets that are not
 * valid UTF-8 are kept as base64 bytes (`nameRaw`, `targetRaw`). Times are nanoseconds since the
 * epoch as decimal strings (JSON numbers lose them). `inode`, `ctime` and `nlink` serve incremental
 * snapshots and hardlinks. Pure codec: parse + validate untrusted bytes, no I/O (the stored,
 * compressed form of a tree is volumes/tree-blob.ts's).
 */
import { isDigest, type Digest } from './digest.js';
import { InvalidInputError } from './errors.js';
import { MediaType } from './media-types.js';
import type { Descriptor } from './oci.js';
import { parseStrictJson } from './strict-json.js';

export interface ChunkRef {
  digest: Digest;
  /** Stored bytes. */
  size: number;
  /** Raw bytes. */
  length: number;
  /** sha256 of the raw bytes; present when stored compressed. */
  raw?: Digest;
  zstd?: true;
}
export interface HoleRef {
  hole: number;
}
export type ContentRef = ChunkRef | HoleRef;

export type NodeType = 'file' | 'dir' | 'symlink' | 'fifo' | 'char' | 'block';

/** What an lstat result answers (fs.Stats and BigIntStats both do). */
export interface StatKind {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

/**
 * The kind of node an lstat describes; undefined for sockets, which mean nothing without their
 * process (tar has no type for them; containerd and restic skip them too). Layers and snapshots share it.
 */
export function nodeTypeOf(st: StatKind): NodeType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return undefined;
}
const NODE_TYPES: readonly NodeType[] = ['file', 'dir', 'symlink', 'fifo', 'char', 'block'];

export interface TreeEntry {
  name?: string;
  nameRaw?: string;
  type: NodeType;
  mode: number;
  uid: number;
  gid: number;
  mtime: string;
  /** Files: change detection for the next snapshot, and hardlink groups. */
  inode?: string;
  ctime?: string;
  nlink?: number;
  size?: number;
  chunks?: ContentRef[];
  target?: string;
  targetRaw?: string;
  devmajor?: number;
  devminor?: number;
  tree?: Digest;
  treeSize?: number;
  /** Values base64. */
  xattrs?: Record<string, string>;
}

export interface Tree {
  entries: TreeEntry[];
}

export interface RootMeta {
  uid: number;
  gid: number;
  mode: number;
  mtime: string;
  xattrs?: Record<string, string>;
}

export interface SnapshotStats {
  files: number;
  dirs: number;
  /** Logical bytes of every regular file. */
  bytes: number;
  /** File bytes actually read (changed or new files). */
  readBytes: number;
  /** Stored bytes of blobs (chunks and trees) this snapshot added to the store. */
  addedBytes: number;
  newBlobs: number;
  /** Files reused unread from the parent. */
  unchangedFiles: number;
  /** Nodes left out: sockets, devices when unprivileged, mount points below the root. */
  skipped: number;
  /** xattrs that could not be read (names that are not valid UTF-8). */
  skippedXattrs: number;
  durationMs: number;
}

export interface SnapshotRecord {
  schemaVersion: 1;
  mediaType: typeof MediaType.LifeboatVolumeSnapshot;
  volume: string;
  created: string;
  hostname: string;
  tags: string[];
  labels: Record<string, string>;
  parent?: Digest;
  volumeLabels: Record<string, string>;
  volumeOptions: Record<string, string>;
  root: RootMeta;
  tree: Descriptor;
  stats: SnapshotStats;
}

/** Largest tree or record document we parse (a directory of ~1M entries). */
export const TREE_LIMIT = 512 * 1024 * 1024;

export function isHole(c: ContentRef): c is HoleRef {
  return (c as HoleRef).hole !== undefined;
}

export function entryName(e: TreeEntry): Buffer {
  return e.nameRaw !== undefined ? Buffer.from(e.nameRaw, 'base64') : Buffer.from(e.name ?? '', 'utf8');
}

export function entryTarget(e: TreeEntry): Buffer {
  return e.targetRaw !== undefined ? Buffer.from(e.targetRaw, 'base64') : Buffer.from(e.target ?? '', 'utf8');
}

/** Sort order of entries: raw name bytes. */
export function compareNames(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

export function encodeTree(tree: Tree): Buffer {
  return Buffer.from(JSON.stringify(tree));
}

export function encodeRecord(rec: SnapshotRecord): Buffer {
  return Buffer.from(JSON.stringify(rec, null, 1));
}

const NS = /^-?\d{1,20}$/;
const u32 = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
const nonNeg = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function bad(what: string, detail: string): never {
  throw new InvalidInputError(`invalid ${what}: ${detail}`, { code: 'BAD_SNAPSHOT' });
}

function checkXattrs(x: unknown, what: string): void {
  if (x === undefined) return;
  if (typeof x !== 'object' || x === null || Array.isArray(x)) bad(what, 'xattrs must be an object');
  for (const [k, v] of Object.entries(x)) if (k === '' || k.includes('\0') || typeof v !== 'string') bad(what, `bad xattr ${JSON.stringify(k)}`);
}

function checkChunk(c: unknown, what: string): void {
  const r = c as Partial<ChunkRef & HoleRef>;
  if (typeof c !== 'object' || c === null) bad(what, 'chunk ref must be an object');
  if (r.hole !== undefined) {
    if (!nonNeg(r.hole) || r.hole === 0) bad(what, 'bad hole length');
    return;
  }
  if (!isDigest(r.digest) || !nonNeg(r.size) || !nonNeg(r.length)) bad(what, 'chunk ref needs digest, size and length');
  if (r.zstd !== undefined && (r.zstd !== true || !isDigest(r.raw))) bad(what, 'a compressed chunk needs its raw digest');
}

function checkEntry(e: TreeEntry, what: string): Buffer {
  if (typeof e !== 'object' || e === null) bad(what, 'entry must be an object');
  const name = entryName(e);
  if ((e.name === undefined) === (e.nameRaw === undefined)) bad(what, 'entry needs exactly one of name, nameRaw');
  const shown = JSON.stringify(name.toString('utf8'));
  if (name.length === 0 || name.length > 255 || name.includes(0x2f) || name.includes(0) || name.equals(Buffer.from('.')) || name.equals(Buffer.from('..'))) {
    bad(what, `forbidden entry name ${shown}`);
  }
  if (!NODE_TYPES.includes(e.type)) bad(what, `${shown} has unknown type ${JSON.stringify(e.type)}`);
  if (!u32(e.mode) || e.mode > 0o7777 || !u32(e.uid) || !u32(e.gid) || typeof e.mtime !== 'string' || !NS.test(e.mtime)) bad(what, `${shown} has bad mode, owner or mtime`);
  checkXattrs(e.xattrs, what);
  if (e.type === 'file') {
    if (!nonNeg(e.size) || !Array.isArray(e.chunks)) bad(what, `${shown} needs size and chunks`);
    let total = 0;
    for (const c of e.chunks) {
      checkChunk(c, what);
      total += isHole(c) ? c.hole : c.length;
    }
    if (total !== e.size) bad(what, `${shown}: chunks add up to ${total} bytes, size says ${e.size}`);
    if (e.nlink !== undefined && (!nonNeg(e.nlink) || e.inode === undefined)) bad(what, `${shown} has a bad link count`);
  }
  if (e.inode !== undefined && !/^\d{1,20}$/.test(e.inode)) bad(what, `${shown} has a bad inode`);
  if (e.ctime !== undefined && !NS.test(e.ctime)) bad(what, `${shown} has a bad ctime`);
  if (e.type === 'dir' && (!isDigest(e.tree) || !nonNeg(e.treeSize))) bad(what, `${shown} needs a tree`);
  if (e.type === 'symlink' && (e.target === undefined) === (e.targetRaw === undefined)) bad(what, `${shown} needs exactly one of target, targetRaw`);
  if ((e.type === 'char' || e.type === 'block') && (!u32(e.devmajor) || !u32(e.devminor))) bad(what, `${shown} needs device numbers`);
  return name;
}

/** Parses and validates a tree blob (names unique and sorted, every field in range). */
export function parseTree(bytes: Uint8Array, what = 'tree'): Tree {
  const tree = parseStrictJson(bytes, what, TREE_LIMIT) as Tree;
  if (typeof tree !== 'object' || tree === null || !Array.isArray(tree.entries)) bad(what, 'no entries array');
  let prev: Buffer | undefined;
  for (const e of tree.entries) {
    const name = checkEntry(e, what);
    if (prev && compareNames(prev, name) >= 0) bad(what, `entries not sorted or not unique at ${JSON.stringify(name.toString('utf8'))}`);
    prev = name;
  }
  return tree;
}

export function parseRecord(bytes: Uint8Array, what = 'snapshot record'): SnapshotRecord {
  const r = parseStrictJson(bytes, what) as SnapshotRecord;
  if (typeof r !== 'object' || r === null || r.schemaVersion !== 1 || r.mediaType !== MediaType.LifeboatVolumeSnapshot) bad(what, 'not a volume snapshot record');
  if (typeof r.volume !== 'string' || typeof r.created !== 'string' || !Array.isArray(r.tags) || typeof r.labels !== 'object') bad(what, 'missing fields');
  if (r.tree?.mediaType !== MediaType.LifeboatTree || !isDigest(r.tree.digest) || !nonNeg(r.tree.size)) bad(what, 'bad root tree descriptor');
  if (r.parent !== undefined && !isDigest(r.parent)) bad(what, 'bad parent');
  if (!u32(r.root?.uid) || !u32(r.root.gid) || !u32(r.root.mode) || !NS.test(r.root.mtime)) bad(what, 'bad root metadata');
  checkXattrs(r.root.xattrs, what);
  return r;
}

/** The blobs a tree refers to (subtrees and chunks), as descriptors for GC and copying. */
export function treeChildren(tree: Tree): Descriptor[] {
  const out: Descriptor[] = [];
  for (const e of tree.entries) {
    if (e.type === 'dir' && e.tree) out.push({ mediaType: MediaType.LifeboatTree, digest: e.tree, size: e.treeSize ?? 0 });
    for (const c of e.chunks ?? []) if (!isHole(c)) out.push({ mediaType: MediaType.LifeboatChunk, digest: c.digest, size: c.size });
  }
  return out;
}
