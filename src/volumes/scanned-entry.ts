/**
 * From a scanned node to its tree entry, one rule for both threads of a snapshot walk: the main
 * thread builds each directory's entries with it (tree-writer.ts), and an I/O worker uses it to
 * tell, where it scanned a directory, whether that directory's tree is its parent snapshot's tree
 * byte for byte (sameLeaf), so the main thread never builds the entries of a directory nothing in
 * changed. That is most directories of an incremental snapshot, and the entries were most of its
 * main-thread time and garbage.
 */
import { isUtf8 } from 'node:buffer';
import type { Descriptor } from '../core/oci.js';
import { entryName, treeChildren, type ContentRef, type NodeType, type Tree, type TreeEntry } from '../core/volume-snapshot-format.js';
import type { ScanEntry } from './scan-dir-sync.js';

/**
 * A node's entry without what only reading it gives: a file's size and chunks, a directory's
 * tree. The field order is the encoding's: a tree is compared with its parent as JSON text.
 */
export function scannedEntry(s: ScanEntry, type: NodeType, name: Buffer): TreeEntry {
  // Literals, not spreads: this runs once per node of every snapshot.
  const entry: TreeEntry = isUtf8(name)
    ? { name: name.toString('utf8'), type, mode: s.mode, uid: s.uid, gid: s.gid, mtime: s.mtime }
    : { nameRaw: name.toString('base64'), type, mode: s.mode, uid: s.uid, gid: s.gid, mtime: s.mtime };
  if (type === 'char' || type === 'block') {
    entry.devmajor = s.devmajor;
    entry.devminor = s.devminor;
  }
  if (s.xattrs) entry.xattrs = s.xattrs;
  if (type === 'symlink') {
    const target = Buffer.from(s.target ?? '', 'latin1');
    if (isUtf8(target)) entry.target = target.toString('utf8');
    else entry.targetRaw = target.toString('base64');
  } else if (type === 'file') {
    entry.inode = s.inode;
    entry.ctime = s.ctime;
    if (s.nlink > 1) entry.nlink = s.nlink;
  }
  return entry;
}

/** The parent snapshot's chunks of a file that has not changed since (size, mtime, ctime and inode match), or undefined: read it. */
export function unchangedChunks(s: ScanEntry, entry: TreeEntry, prev: TreeEntry | undefined): ContentRef[] | undefined {
  if (prev?.type === 'file' && prev.size === s.size && prev.mtime === entry.mtime && prev.ctime === s.ctime && prev.inode === s.inode && prev.chunks) return prev.chunks;
  return undefined;
}

/** A file's entry completed with its content (the walk's `finish`). */
export function withContent(entry: TreeEntry, size: number, chunks: ContentRef[]): TreeEntry {
  entry.size = size;
  entry.chunks = chunks;
  return entry;
}

/** What the walk counts for a directory it keeps whole from the parent, and what that tree names. */
export interface SameDir {
  files: number;
  bytes: number;
  skipped: number;
  skippedXattrs: number;
  /** The tree's chunks (what SinkFeed.refer would name besides the tree). */
  children: Descriptor[];
}

/**
 * Whether a directory with no subdirectory encodes exactly as `parent` (whose JSON text is
 * `parentJson`): every file unchanged, every other node as it was, nothing added or gone. Then the
 * counts the walk would have made, else undefined (the walk builds the directory itself). A
 * directory with subdirectories is never judged here: their trees are only known once walked.
 */
export function sameLeaf(scan: ScanEntry[], parent: Tree, parentJson: string): SameDir | undefined {
  const previous = new Map<string, TreeEntry>();
  for (const e of parent.entries) previous.set(entryName(e).toString('latin1'), e);
  const out: SameDir = { files: 0, bytes: 0, skipped: 0, skippedXattrs: 0, children: [] };
  const entries: TreeEntry[] = [];
  for (const s of scan) {
    if (!s.type) {
      out.skipped++;
      continue;
    }
    if (s.type === 'dir') return undefined;
    const entry = scannedEntry(s, s.type, Buffer.from(s.name, 'latin1'));
    if (s.xattrsUnreadable) out.skippedXattrs++;
    if (s.type === 'file') {
      const chunks = unchangedChunks(s, entry, previous.get(s.name));
      if (!chunks) return undefined;
      withContent(entry, s.size, chunks);
      out.files++;
      out.bytes += s.size;
    }
    entries.push(entry);
  }
  if (entries.length !== parent.entries.length || JSON.stringify({ entries } satisfies Tree) !== parentJson) return undefined;
  out.children = treeChildren(parent); // chunks only: a leaf names no subtree
  return out;
}
