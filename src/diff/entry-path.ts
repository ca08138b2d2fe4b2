/**
 * Lexical checks on names that come from an archive, before anything touches the disk.
 *
 * Entry names and hardlink targets are cleaned like Go's `path.Clean` on a rooted path: leading
 * slashes are dropped (absolute names are re-rooted: `/etc/passwd` is `<root>/etc/passwd`), empty
 * and `.` components vanish, and `a/../b` is `b`. A `..` that would climb above the root is refused
 * (go-archive "invalid entry name", node-tar "path contains '..'"), so is `/../victim` (formats.md
 * A.1, A.2, C.16, C.19). Nothing is filtered on the substring `..`: `..gitme`, `...` and `a..b` are
 * ordinary names (A.4). Symlink *targets* never come through here: they are stored verbatim and only
 * resolved, inside the root, when something is written through them (resolve-in-root.ts).
 */
import { HostileArchiveError } from '../core/errors.js';

/**
 * The components of `name` relative to the root. `[]` means the root itself. Throws
 * HostileArchiveError when the name climbs out of the root.
 */
export function cleanArchivePath(name: string, what = 'entry name'): string[] {
  if (name.includes('\0')) throw new HostileArchiveError(`${what} ${JSON.stringify(name)} contains a NUL byte`, { name });
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) {
        throw new HostileArchiveError(`${what} ${JSON.stringify(name)} points outside the layer root`, { name });
      }
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

/** `a/b/c` for components, '' for the root: the key every per-layer set in the applier uses. */
export function relKey(components: readonly string[]): string {
  return components.join('/');
}

/** The key of `name` inside the directory whose key is `dir`. */
export function childKey(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Every ancestor key of `key`, nearest first, excluding the root (''). */
export function* ancestorKeys(key: string): Generator<string> {
  for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1)) yield key.slice(0, i);
}
