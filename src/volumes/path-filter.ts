/**
 * `--include PATH`: which parts of a snapshot a restore (or export) touches. Paths are relative to
 * the volume root ("/db/base" and "db/base" are the same); `..` is refused rather than resolved, so
 * a filter can never name something outside the snapshot. A node is wanted whole when it is at or
 * below an include path; a directory on the way to one is wanted as an ancestor: created with its
 * own metadata, with only the matching children.
 */
import { UsageError } from '../core/errors.js';

export type Match = 'inside' | 'ancestor' | undefined;

export class PathFilter {
  private readonly paths: Buffer[][];

  constructor(includes: readonly string[]) {
    this.paths = includes.map(parseInclude);
  }

  get empty(): boolean {
    return this.paths.length === 0;
  }

  /** The include paths as components (for callers that walk to them). */
  get includes(): Buffer[][] {
    return this.paths;
  }

  /** How a node at `components` (raw names from the root) relates to the include paths. */
  match(components: readonly Buffer[]): Match {
    if (this.paths.length === 0) return 'inside';
    let ancestor = false;
    for (const p of this.paths) {
      const n = Math.min(p.length, components.length);
      let same = true;
      for (let i = 0; i < n && same; i++) same = p[i]!.equals(components[i]!);
      if (!same) continue;
      if (components.length >= p.length) return 'inside';
      ancestor = true;
    }
    return ancestor ? 'ancestor' : undefined;
  }
}

export function parseInclude(path: string): Buffer[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new UsageError(`--include ${JSON.stringify(path)}: ".." is not allowed; name a path inside the volume`);
  if (parts.length === 0) throw new UsageError(`--include ${JSON.stringify(path)} names the volume root; leave --include out to restore everything`);
  return parts.map((p) => Buffer.from(p, 'utf8'));
}
