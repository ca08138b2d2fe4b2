/**
 * What one layer application remembers while it runs:
 *
 * - `touched`: every path this layer created or replaced, plus all their ancestors (resolved keys,
 *   so `link/x` through `link -> real` is `real/x`). Whiteouts and opaque markers never remove a
 *   touched path: they hide *lower* content only, whatever their position in the stream (layer.md;
 *   containerd `unpackedPaths`, umoci `upperPaths`; formats.md D.25).
 * - `opaqueDone`: directories whose lower children were already cleared. Everything left below
 *   them is touched, so later markers there (or in their subdirectories) have nothing to do: this
 *   keeps many markers in big directories linear (containerd GHSA-rp3h-jf77-q9p4, formats.md D.27).
 * - deferred directory metadata: mode and mtime are set at the end, deepest first, because adding
 *   children changes a directory's mtime and a read-only mode would block them. Each directory is
 *   revisited by key with no symlink on the way, and skipped when it or an ancestor was removed
 *   after it was recorded (inode numbers are no identity: ext4 reuses a freed one at once).
 */
import { chmod, lstat, lutimes, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ancestorKeys, childKey } from './entry-path.js';
import type { RootResolver } from './resolve-in-root.js';

interface DeferredDir {
  /** When it was recorded, on the same clock as `removedAt`. */
  seq: number;
  mode: number;
  mtime: number;
}

export class LayerState {
  private readonly touched = new Set<string>();
  private readonly opaqueDone = new Set<string>();
  private readonly dirs = new Map<string, DeferredDir>();
  private readonly removedAt = new Map<string, number>();
  private seq = 0;

  constructor(private readonly resolver: RootResolver) {}

  /**
   * Records that whatever was at `key` (and everything below it) was removed or replaced: cached
   * path resolutions and deferred metadata below it are stale from now on.
   */
  removed(key: string): void {
    this.resolver.invalidate();
    this.removedAt.set(key, ++this.seq);
  }

  /** Marks `key` and its ancestors (invariant: a key in the set has all its ancestors in it). */
  markTouched(key: string): void {
    if (key === '' || this.touched.has(key)) return;
    this.touched.add(key);
    for (const a of ancestorKeys(key)) {
      if (this.touched.has(a)) break;
      this.touched.add(a);
    }
  }

  isTouched(key: string): boolean {
    return key === '' || this.touched.has(key);
  }

  /** True when `key` or one of its ancestors already had its lower children cleared. */
  coveredByOpaque(key: string): boolean {
    if (this.opaqueDone.has(key)) return true;
    for (const a of ancestorKeys(key)) if (this.opaqueDone.has(a)) return true;
    return this.opaqueDone.has('');
  }

  /**
   * Removes everything below `host` (the directory `key`) that this layer did not create: the
   * effect of an opaque whiteout. Touched subdirectories are kept and searched in turn.
   */
  async clearLowerChildren(host: string, key: string): Promise<number> {
    let removed = 0;
    const stack: Array<[string, string]> = [[host, key]];
    while (stack.length > 0) {
      const [dirHost, dirKey] = stack.pop()!;
      for (const raw of await readdir(dirHost, { encoding: 'buffer' })) {
        const name = utf8Name(raw);
        if (name === undefined) {
          // Not UTF-8, so not from any layer we applied: lower content. Removed by its exact bytes.
          await rm(Buffer.concat([Buffer.from(`${dirHost}/`), raw]), { recursive: true, force: true });
          removed++;
          continue;
        }
        const ck = childKey(dirKey, name);
        const ch = join(dirHost, name);
        if (!this.touched.has(ck)) {
          await rm(ch, { recursive: true, force: true });
          removed++;
        } else if (!this.opaqueDone.has(ck) && (await lstat(ch)).isDirectory()) {
          stack.push([ch, ck]);
        }
      }
    }
    this.opaqueDone.add(key);
    if (removed > 0) this.resolver.invalidate(); // only untouched (lower) paths went: no deferred directory among them
    return removed;
  }

  /** Records a directory's mode and mtime for `finish`; the last entry for a path wins. */
  deferDir(key: string, mode: number, mtime: number): void {
    this.dirs.set(key, { seq: ++this.seq, mode, mtime });
  }

  private removedSince(key: string, seq: number): boolean {
    if ((this.removedAt.get(key) ?? 0) > seq) return true;
    for (const a of ancestorKeys(key)) if ((this.removedAt.get(a) ?? 0) > seq) return true;
    return false;
  }

  /** Applies deferred directory modes and mtimes, deepest first (children before their parents). */
  async finish(): Promise<void> {
    const keys = [...this.dirs.keys()].sort((a, b) => depth(b) - depth(a));
    for (const key of keys) {
      const d = this.dirs.get(key)!;
      if (this.removedSince(key, d.seq)) continue; // what is there now is not the recorded directory
      const host = await this.resolver.exactDir(key);
      if (host === undefined) continue; // replaced by a non-directory or a symlink later in the layer
      await chmod(host, d.mode);
      await lutimes(host, d.mtime, d.mtime);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function utf8Name(raw: Buffer): string | undefined {
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}

function depth(key: string): number {
  let n = 0;
  for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) n++;
  return n;
}
