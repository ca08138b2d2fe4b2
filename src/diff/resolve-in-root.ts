/**
 * Resolves archive paths as if `root` were `/`, like containerd continuity's `fs.RootPath` or Go's
 * `os.Root`: components are walked one at a time with lstat; a symlink met on the way is followed,
 * but re-rooted (an absolute target starts again at `root`, a relative one continues from where it
 * sits) and `..` never climbs above `root`. After MAX_SYMLINK_HOPS links it gives up (ELOOP),
 * so loops and long chains cannot hang the applier (formats.md B.8, B.12, B.14).
 *
 * Only the *parent* of an entry is resolved this way; the final component is never followed (the
 * applier lstats it and replaces whatever is there). Every host path we return is built from
 * components we saw as real directories, so the kernel follows no symlink when we use it.
 *
 * Race safety: this is check-then-use on path strings. It is sound because the applier owns the tree
 * it writes (callers apply into a private directory that nothing else writes, see apply.ts); a tree a
 * running container can modify would need openat2(RESOLVE_IN_ROOT) instead (formats.md B.15).
 */
import { lstatSync, type Stats } from 'node:fs';
import { mkdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { HostileArchiveError, InvalidInputError, isErrno } from '../core/errors.js';
import { relKey } from './entry-path.js';

/** Linux gives up after 40 links (MAXSYMLINKS); so do we. */
export const MAX_SYMLINK_HOPS = 40;

export interface ResolvedDir {
  /** Host path: root joined with real directory names only. */
  host: string;
  /** Components below root, after symlinks were followed. */
  components: string[];
  /** `components` joined with '/' ('' for the root). */
  key: string;
}

/** lstat, or undefined when nothing is there. Synchronous: microseconds, called per path component. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

export class RootResolver {
  /**
   * Directories resolved before, by archive key. Every cached chain was made of real directories
   * when it was cached, and only a removal can change that (the applier never renames, and a new
   * symlink can only appear where nothing was), so the applier calls `invalidate()` on every removal.
   */
  private readonly cache = new Map<string, string[]>();

  constructor(readonly root: string) {}

  /** Forgets every cached resolution; call after anything under the root was removed or replaced. */
  invalidate(): void {
    this.cache.clear();
  }

  /**
   * The directory named by `components`, symlinks followed inside the root. With `create`, missing
   * directories are made (mode 0755, like containerd's MkdirAll) and a non-directory on the way is an
   * error; without it, the answer is undefined when the directory does not exist.
   */
  async resolveDir(components: readonly string[], create: boolean): Promise<ResolvedDir | undefined> {
    // Start from the longest prefix resolved before (consecutive entries share their parents).
    let start = components.length;
    let cached: string[] | undefined;
    for (; start > 0; start--) {
      cached = this.cache.get(relKey(components.slice(0, start)));
      if (cached) break;
    }
    const pending = components.slice(start).reverse(); // the next component is at the end
    const real: string[] = cached ? [...cached] : [];
    // real[missingFrom..] do not exist yet. Nothing below a missing directory can exist either (no
    // symlink to follow), so those are kept virtual, and a later `..` can cancel them before any is made.
    let missingFrom = Infinity;
    let hops = 0;
    const shown = () => relKey(components);
    while (pending.length > 0) {
      const part = pending.pop()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        real.pop(); // never above the root
        if (real.length <= missingFrom) missingFrom = Infinity;
        continue;
      }
      if (real.length >= missingFrom) {
        real.push(part);
        continue;
      }
      const host = join(this.root, ...real, part);
      const st = lstatOrUndefined(host);
      if (st === undefined) {
        missingFrom = real.length;
        real.push(part);
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new HostileArchiveError(`too many levels of symbolic links (ELOOP) resolving ${JSON.stringify(shown())}`, { path: shown() });
        }
        const target = await readlink(host);
        if (target === '') {
          if (!create) return undefined;
          throw new InvalidInputError(`cannot resolve ${JSON.stringify(shown())}: ${relKey([...real, part])} is a symlink with an empty target`, { code: 'BAD_LAYER' });
        }
        if (target.startsWith('/')) real.length = 0; // absolute: start again at the root
        if (real.length <= missingFrom) missingFrom = Infinity;
        const parts = target.split('/');
        for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
        continue;
      }
      if (!st.isDirectory()) {
        if (!create) return undefined;
        throw new InvalidInputError(`cannot create ${JSON.stringify(shown())}: ${relKey([...real, part])} is not a directory`, {
          code: 'BAD_LAYER',
        });
      }
      real.push(part);
    }
    if (missingFrom < real.length) {
      if (!create) return undefined;
      for (let i = missingFrom; i < real.length; i++) await mkdir(join(this.root, ...real.slice(0, i + 1)), 0o755);
    }
    if (components.length > 0) this.cache.set(relKey(components), real);
    return { host: join(this.root, ...real), components: [...real], key: relKey(real) };
  }

  /**
   * The host path of `key` when every component (the last included) is a real directory and none is
   * a symlink; undefined otherwise. Used to revisit a directory recorded earlier in the same apply.
   */
  async exactDir(key: string): Promise<string | undefined> {
    let host = this.root;
    for (const part of key === '' ? [] : key.split('/')) {
      host = join(host, part);
      const st = lstatOrUndefined(host);
      if (!st?.isDirectory()) return undefined;
    }
    return host;
  }
}
