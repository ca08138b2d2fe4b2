/**
 * The seam between a volume snapshot and whatever writes to the volume. A Quiescer brings the
 * writers to a consistent stop for as long as the snapshot reads the volume:
 *
 *   const release = await quiescer.hold();   // writers paused (or stopped, or flushed by a hook)
 *   try { read the volume } finally { await release(); }   // resumed whatever happened
 *
 * `hold` either succeeds with every writer held, or fails having released what it had taken.
 * `release` must be called exactly once and must try to resume every writer even if one fails.
 * Implementations: `noQuiescer` (nothing to hold), `FreezerQuiescer` (a cgroup v1 freezer, for
 * any process group), and in ops/ the container-backed one (pause, stop or exec hooks).
 */

export type Release = () => Promise<void>;

export interface Quiescer {
  hold(): Promise<Release>;
}

export const noQuiescer: Quiescer = {
  hold: async () => async () => {},
};

/**
 * Holds several quiescers in order and releases them in reverse. If one fails to hold, those
 * already held are released before the error is thrown.
 */
export function sequence(...parts: Quiescer[]): Quiescer {
  return {
    async hold(): Promise<Release> {
      const held: Release[] = [];
      try {
        for (const q of parts) held.push(await q.hold());
      } catch (err) {
        await releaseAll(held.reverse());
        throw err;
      }
      return () => releaseAll(held.reverse());
    },
  };
}

/** Calls every release; throws the first error after all were tried. */
export async function releaseAll(releases: Release[]): Promise<void> {
  let first: unknown;
  let failed = false;
  for (const r of releases) {
    try {
      await r();
    } catch (err) {
      if (!failed) first = err;
      failed = true;
    }
  }
  if (failed) throw first;
}
