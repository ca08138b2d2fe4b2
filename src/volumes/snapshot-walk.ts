/**
 * Walking a snapshot's trees without materializing them: a depth-first, pre-order stream of
 * (path, entry) in name order, loading one tree blob per directory as it goes (memory holds only
 * the trees on the current path). Used by diff and export, and to look single paths up.
 */
import type { Digest } from '../core/digest.js';
import { entryName, type TreeEntry } from '../core/volume-snapshot-format.js';
import type { Provider } from '../content/content-store.js';
import type { PathFilter } from './path-filter.js';
import { loadTree } from './tree-io.js';

export interface WalkItem {
  /** Raw name components from the volume root. */
  components: Buffer[];
  entry: TreeEntry;
}

/** "a/b/c" for display (names that are not UTF-8 show replacement characters). */
export function showComponents(components: readonly Buffer[]): string {
  return components.map((c) => c.toString('utf8')).join('/');
}

export async function* walkSnapshot(content: Provider, tree: Digest, filter?: PathFilter, at: Buffer[] = []): AsyncGenerator<WalkItem> {
  const t = await loadTree(content, tree);
  for (const entry of t.entries) {
    const components = [...at, entryName(entry)];
    const match = filter ? filter.match(components) : 'inside';
    if (!match) continue;
    if (match === 'inside') yield { components, entry };
    if (entry.type === 'dir' && entry.tree) yield* walkSnapshot(content, entry.tree, filter, components);
  }
}

/** The entry at `components`, or undefined when the snapshot has no such path. */
export async function findEntry(content: Provider, tree: Digest, components: readonly Buffer[]): Promise<TreeEntry | undefined> {
  let current: Digest | undefined = tree;
  let found: TreeEntry | undefined;
  for (const name of components) {
    if (current === undefined) return undefined;
    found = (await loadTree(content, current)).entries.find((e) => entryName(e).equals(name));
    if (!found) return undefined;
    current = found.type === 'dir' ? found.tree : undefined;
  }
  return found;
}
