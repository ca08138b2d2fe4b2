/**
 * `volume diff SNAP1 SNAP2`, like `restic diff`: the paths added (+), removed (-), with changed
 * content (M), changed metadata only (U: mode, owner, mtime, xattrs, link target) or changed type
 * (T). Both trees are walked side by side in name order; a subdirectory whose tree digest is the
 * same on both sides is identical all the way down and is skipped unread, so the cost follows the
 * size of the change, not of the volume. inode, ctime and link counts are bookkeeping, not changes.
 */
import type { Digest } from '../core/digest.js';
import { compareNames, entryName, entryTarget, isHole, type TreeEntry } from '../core/volume-snapshot-format.js';
import type { Provider } from '../content/content-store.js';
import { showComponents, walkSnapshot } from './snapshot-walk.js';
import { loadTree } from './tree-io.js';

export type ChangeKind = '+' | '-' | 'M' | 'U' | 'T';

export interface DiffItem {
  change: ChangeKind;
  path: string;
  type: TreeEntry['type'];
}

export interface DiffTotals {
  added: { files: number; dirs: number; others: number; bytes: number };
  removed: { files: number; dirs: number; others: number; bytes: number };
  changed: number;
}

export function emptyTotals(): DiffTotals {
  const side = () => ({ files: 0, dirs: 0, others: 0, bytes: 0 });
  return { added: side(), removed: side(), changed: 0 };
}

function contentKey(e: TreeEntry): string {
  return (e.chunks ?? []).map((c) => (isHole(c) ? `h${c.hole}` : c.digest)).join(',');
}

function sameMetadata(a: TreeEntry, b: TreeEntry): boolean {
  return (
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.mtime === b.mtime &&
    JSON.stringify(a.xattrs ?? {}) === JSON.stringify(b.xattrs ?? {}) &&
    entryTarget(a).equals(entryTarget(b)) &&
    a.devmajor === b.devmajor &&
    a.devminor === b.devminor
  );
}

/**
 * Whether two entries of one name hold the same node: type, content (chunks, or subtree) and every
 * piece of metadata a restore sets. inode and ctime are bookkeeping of the host the snapshot was
 * taken on and do not count (a chmod there and back changes nothing here).
 */
export function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  return a.type === b.type && a.size === b.size && a.tree === b.tree && contentKey(a) === contentKey(b) && sameMetadata(a, b);
}

function count(side: DiffTotals['added'], e: TreeEntry): void {
  if (e.type === 'file') {
    side.files++;
    side.bytes += e.size ?? 0;
  } else if (e.type === 'dir') side.dirs++;
  else side.others++;
}

/** Every path below `e` (itself included) as added or removed. */
async function* whole(content: Provider, change: '+' | '-', components: Buffer[], e: TreeEntry, totals: DiffTotals, self = true): AsyncGenerator<DiffItem> {
  const side = change === '+' ? totals.added : totals.removed;
  if (self) {
    count(side, e);
    yield { change, path: showComponents(components), type: e.type };
  }
  if (e.type !== 'dir' || !e.tree) return;
  for await (const item of walkSnapshot(content, e.tree, undefined, components)) {
    count(side, item.entry);
    yield { change, path: showComponents(item.components), type: item.entry.type };
  }
}

export async function* diffTrees(content: Provider, a: Digest, b: Digest, totals: DiffTotals = emptyTotals(), at: Buffer[] = []): AsyncGenerator<DiffItem> {
  if (a === b) return;
  const left = (await loadTree(content, a)).entries;
  const right = (await loadTree(content, b)).entries;
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const l = left[i];
    const r = right[j];
    const order = l && r ? compareNames(entryName(l), entryName(r)) : l ? -1 : 1;
    if (order < 0) {
      yield* whole(content, '-', [...at, entryName(l!)], l!, totals);
      i++;
      continue;
    }
    if (order > 0) {
      yield* whole(content, '+', [...at, entryName(r!)], r!, totals);
      j++;
      continue;
    }
    i++;
    j++;
    const components = [...at, entryName(l!)];
    const path = showComponents(components);
    if (l!.type !== r!.type) {
      totals.changed++;
      yield { change: 'T', path, type: r!.type };
      if (l!.type === 'dir') yield* whole(content, '-', components, l!, totals, false);
      if (r!.type === 'dir') yield* whole(content, '+', components, r!, totals, false);
      continue;
    }
    if (l!.type === 'file' && (l!.size !== r!.size || contentKey(l!) !== contentKey(r!))) {
      totals.changed++;
      yield { change: 'M', path, type: 'file' };
    } else if (!sameMetadata(l!, r!)) {
      totals.changed++;
      yield { change: 'U', path, type: r!.type };
    }
    if (l!.type === 'dir' && l!.tree && r!.tree) yield* diffTrees(content, l!.tree, r!.tree, totals, components);
  }
}
