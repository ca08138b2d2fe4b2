/**
 * `volume restore SNAP [--to NAME] [--overwrite] [--include PATH...]`.
 *
 * Everything is first restored into a private staging directory beside the volume (same
 * filesystem, nothing else writes there), with every chunk verified; a failure there removes the
 * staging directory and leaves the volume exactly as it was. Then, with nothing left to read:
 *
 * - a new volume: the staged tree becomes the volume (one rename, with the snapshot's labels);
 * - an existing volume, whole snapshot: refused when the volume is not empty unless --overwrite;
 *   the staged tree replaces the volume's data (rename aside, rename in, delete the old);
 * - an existing volume with --include: each included path is moved into the live volume. The walk
 *   to it lstat's every component and descends only through real directories: a symlink (or any
 *   non-directory) on the way is never followed; it is a conflict, or with --overwrite it is
 *   replaced by the snapshot's directory. An existing node at an included path is a conflict
 *   unless --overwrite. All conflicts are found before anything is changed.
 *
 * The caller (ops/) makes sure no running container uses the volume: the live walk is a
 * check-then-rename on paths, sound only while nothing else changes the volume.
 */
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { ConflictError, NotFoundError, isErrno } from '../core/errors.js';
import { silentProgress, type Progress } from '../core/progress.js';
import type { LocalContentStore } from '../content/local-store.js';
import { joinHost, type HostPath } from './host-dir.js';
import { applyMeta, defaultPolicy } from './node-apply.js';
import { PathFilter } from './path-filter.js';
import type { PackSpan } from '../core/pack-format.js';
import { findEntry, showComponents } from './snapshot-walk.js';
import type { SnapshotInfo } from './snapshot-refs.js';
import { loadRecord } from './tree-io.js';
import { TreeRestorer } from './tree-restorer.js';
import { withVolumeLock } from './volume-lock.js';
import { WorkerPool } from './worker-pool.js';
import type { VolumeStore } from './volume-store.js';

export interface RestoreVolumeOptions {
  /** Target volume (default: the snapshot's own volume). */
  to?: string;
  overwrite?: boolean;
  include?: string[];
  /**
   * A directory (same filesystem as the volumes, private to the caller) that holds snapshot
   * `base` exactly, restored earlier: it is patched into this snapshot and becomes the volume, so
   * only what changed since `base` is written (a migration's cut-over). Whole restores only; when
   * the patch cannot be made (hardlinks changed, the directory is not what it should be, anything
   * but a cancel) the directory is deleted and the restore starts afresh.
   */
  staged?: { dir: string; base: Digest };
  /** Read chunks out of these pack files instead of the store (a restore from a repository). */
  spans?: ReadonlyMap<Digest, PackSpan>;
  /** I/O worker threads (default: the CPU count, 2 to 4). */
  workers?: number;
  progress?: Progress;
  signal?: AbortSignal;
}

export interface RestoreVolumeResult {
  volume: string;
  created: boolean;
  files: number;
  dirs: number;
  bytes: number;
  skipped: { devices: number; xattrs: number };
  /** A staged directory was patched into the snapshot (only what changed was written). */
  patched: boolean;
}

export async function restoreVolume(content: LocalContentStore, volumes: VolumeStore, snap: SnapshotInfo, opts: RestoreVolumeOptions = {}): Promise<RestoreVolumeResult> {
  const name = opts.to ?? snap.record.volume;
  const filter = new PathFilter(opts.include ?? []);
  for (const p of filter.includes) {
    if (!(await findEntry(content, snap.record.tree.digest, p))) throw new NotFoundError('path in snapshot', showComponents(p));
  }
  return withVolumeLock(content.root, name, async () => {
    const exists = await volumes.exists(name);
    if (exists) await volumes.repair(name);
    if (exists && filter.empty && !opts.overwrite && (await readdir(volumes.dataPath(name))).length > 0) {
      throw new ConflictError(`volume ${name} is not empty`, { hint: 'use --overwrite to replace its contents with the snapshot, or --to NEW_NAME' });
    }
    const staging = await volumes.stagingDir(exists ? name : undefined);
    try {
      let data = join(staging, 'data');
      // Conflicts in the live volume are found before anything is read or written.
      const moves = exists && !filter.empty ? await planMerge(volumes.dataPath(name), data, filter, !!opts.overwrite) : [];
      const task = (opts.progress ?? silentProgress).task(`Restoring ${snap.id.slice(7, 19)} into volume ${name}`, snap.record.stats.bytes);
      const pool = new WorkerPool(opts.workers);
      let written = 0;
      const onWrite = (n: number) => {
        written += n;
        task.advance(n);
      };
      const restorerFor = () => new TreeRestorer({ content, ...(opts.spans ? { spans: opts.spans } : {}), pool, filter: filter.empty ? undefined : filter, onWrite, signal: opts.signal, policy: defaultPolicy() });
      let restorer = restorerFor();
      let patched = false;
      try {
        if (opts.staged && filter.empty && (await patchStaged(content, restorer, opts.staged, snap.record.tree.digest, opts.signal))) {
          data = opts.staged.dir;
          patched = true;
        } else {
          if (opts.staged && filter.empty) {
            restorer = restorerFor(); // the counts are this restore's, not a failed patch's
            task.total(written + snap.record.stats.bytes); // the bar keeps what the patch wrote and runs on over the whole restore
          }
          await mkdir(data, 0o700);
          await restorer.restore(data, snap.record.tree.digest);
        }
      } finally {
        await pool.close();
        task.done();
      }
      if (!exists || filter.empty) {
        await applyMeta(data, data, { type: 'dir', ...snap.record.root }, restorer.policy);
        if (exists) await volumes.replaceData(name, data);
        else await volumes.adopt(name, data, { labels: snap.record.volumeLabels, options: snap.record.volumeOptions });
      } else {
        await applyMoves(moves, join(staging, 'replaced'));
      }
      return { volume: name, created: !exists, ...restorer.counters, skipped: restorer.policy.skipped, patched };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
}

/**
 * Patches the staged directory into `tree`; false (and the directory gone) when that fails for
 * any reason but a cancel: a stage is only ever a shortcut, and the caller restores whole.
 */
async function patchStaged(content: LocalContentStore, restorer: TreeRestorer, staged: { dir: string; base: Digest }, tree: Digest, signal?: AbortSignal): Promise<boolean> {
  try {
    const base = await loadRecord(content, staged.base);
    await restorer.patch(staged.dir, base.tree.digest, tree);
    return true;
  } catch (err) {
    await rm(staged.dir, { recursive: true, force: true });
    if (signal?.aborted) throw err;
    return false;
  }
}

interface Move {
  /** Staged node to move in. */
  from: HostPath;
  /** Where it goes in the live volume. */
  to: HostPath;
  /** Whether something is there now (moved aside first). */
  replaces: boolean;
}

async function lstatOrUndefined(path: HostPath): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Decides every move before any is made, so a conflict changes nothing. */
async function planMerge(live: string, staged: string, filter: PathFilter, overwrite: boolean): Promise<Move[]> {
  const moves: Move[] = [];
  const moved: Buffer[][] = []; // included paths already covered by a move of an ancestor
  const within = (path: Buffer[], prefix: Buffer[]) => prefix.length <= path.length && prefix.every((c, i) => c.equals(path[i]!));
  for (const path of filter.includes) {
    if (moved.some((m) => within(path, m))) continue;
    let liveDir: HostPath = live;
    let stagedDir: HostPath = staged;
    for (let i = 0; i < path.length; i++) {
      const name = path[i]!;
      const from = joinHost(stagedDir, name);
      const to = joinHost(liveDir, name);
      const st = await lstatOrUndefined(to);
      if (st?.isDirectory() && i < path.length - 1) {
        liveDir = to; // a real directory (lstat: not a symlink to one): descend
        stagedDir = from;
        continue;
      }
      if (st && !overwrite) {
        const what = st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a directory' : 'a file';
        throw new ConflictError(`${showComponents(path.slice(0, i + 1))} already exists in the volume (${what})`, {
          hint: '--overwrite replaces it with the snapshot version; nothing was changed',
        });
      }
      moves.push({ from, to, replaces: st !== undefined });
      moved.push(path.slice(0, i + 1));
      break;
    }
  }
  return moves;
}

async function applyMoves(moves: Move[], trash: string): Promise<void> {
  await mkdir(trash, 0o700);
  let n = 0;
  for (const m of moves) {
    if (m.replaces) await rename(m.to, join(trash, String(n++))); // rename never follows the final symlink
    await rename(m.from, m.to);
  }
}
