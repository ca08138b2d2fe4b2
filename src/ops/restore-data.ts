/**
 * A restore's data: every planned volume filled from its snapshot (volumes/restore-volume.ts:
 * staged privately, every chunk verified, then one rename; trees come from the restore's
 * scratch store and chunks out of packs, restore-fetch.ts, while the volume lock is the real store's), empty throw-away volumes for a
 * sandbox's data-less binds, and, with --include-binds, bind snapshots written into their host
 * paths the same way (staged in a private directory beside the path, renamed into place; an
 * existing path is replaced only when asked, and was checked before anything started).
 *
 * What it creates is recorded so the caller can undo it when a later step fails (`undoData`).
 * A volume or host path that existed and was overwritten on request cannot be given back: its
 * old data is gone by then (the preflight refuses it unless --overwrite).
 */
import { chmod, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Digest } from '../core/digest.js';
import type { Descriptor } from '../core/oci.js';
import type { Progress } from '../core/progress.js';
import { applyMeta, defaultPolicy } from '../volumes/node-apply.js';
import { restoreVolume } from '../volumes/restore-volume.js';
import { withVolumeLock } from '../volumes/volume-lock.js';
import { loadRecord } from '../volumes/tree-io.js';
import { TreeRestorer } from '../volumes/tree-restorer.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import { WorkerPool } from '../volumes/worker-pool.js';
import type { FetchedBlobs } from './restore-fetch.js';
import type { RestorePlan } from './restore-plan.js';
import type { StagedVolume } from './restore-stage.js';

export interface RestoredData {
  /** Volumes this restore created (removed again by undoData). */
  createdVolumes: string[];
  /** Host paths this restore created (removed again by undoData). */
  createdPaths: string[];
  volumes: Array<{ name: string; created: boolean; files: number; bytes: number; patched: boolean }>;
  binds: Array<{ hostPath: string; files: number; bytes: number }>;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Restores the tree `tree` of fetched blobs into the empty directory `dir` (its own metadata is the caller's). */
export async function restoreTreeInto(blobs: FetchedBlobs, dir: string, tree: Digest): Promise<TreeRestorer> {
  const pool = new WorkerPool();
  const restorer = new TreeRestorer({ content: blobs.content, spans: blobs.spans, pool, policy: defaultPolicy() });
  try {
    await restorer.restore(dir, tree);
  } finally {
    await pool.close();
  }
  return restorer;
}

/** Writes a snapshot into a host path: staged beside it, then renamed into place. */
async function restoreHostPath(blobs: FetchedBlobs, snapshot: Descriptor, hostPath: string): Promise<{ created: boolean; files: number; bytes: number }> {
  const record = await loadRecord(blobs.content, snapshot.digest);
  const parent = dirname(hostPath);
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const staging = await mkdtemp(join(parent, '.lifeboat-restore-'));
  try {
    await chmod(staging, 0o700);
    const data = join(staging, 'data');
    await mkdir(data, 0o700);
    const restorer = await restoreTreeInto(blobs, data, record.tree.digest);
    await applyMeta(data, data, { type: 'dir', ...record.root }, restorer.policy);
    const existed = await exists(hostPath);
    if (existed) await rename(hostPath, join(staging, 'replaced'));
    await rename(data, hostPath);
    return { created: !existed, files: restorer.counters.files, bytes: restorer.counters.bytes };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function undoData(volumes: VolumeStore, r: RestoredData): Promise<void> {
  for (const name of r.createdVolumes) await volumes.remove(name).catch(() => undefined);
  for (const path of r.createdPaths) await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

/** `blobs`: the snapshots, fetched (restore-fetch.ts); `root` is the real store (its volume locks). */
export async function restoreData(blobs: FetchedBlobs, root: string, volumes: VolumeStore, plan: RestorePlan, opts: { overwrite?: boolean; progress?: Progress; staged?: ReadonlyMap<string, StagedVolume> } = {}): Promise<RestoredData> {
  const out: RestoredData = { createdVolumes: [], createdPaths: [], volumes: [], binds: [] };
  try {
    for (const v of plan.volumes) {
      if (out.volumes.some((x) => x.name === v.name)) continue; // the same volume mounted twice
      if (!v.snapshot) {
        const existed = await volumes.exists(v.name);
        await volumes.create(v.name, { anonymous: v.anonymous });
        if (!existed) out.createdVolumes.push(v.name);
        out.volumes.push({ name: v.name, created: !existed, files: 0, bytes: 0, patched: false });
        continue;
      }
      const snap = { id: v.snapshot.digest, record: await loadRecord(blobs.content, v.snapshot.digest) };
      const existed = await volumes.exists(v.name);
      const to = v.name;
      const staged = opts.staged?.get(to);
      const r = await withVolumeLock(root, to, () => restoreVolume(blobs.content, volumes, snap, { to, spans: blobs.spans, ...(staged ? { staged } : {}), overwrite: !!opts.overwrite, ...(opts.progress ? { progress: opts.progress } : {}) }));
      if (r.created) out.createdVolumes.push(v.name);
      if (r.created && v.anonymous) await volumes.updateMeta({ ...(await volumes.get(v.name)), anonymous: true });
      out.volumes.push({ name: v.name, created: !existed, files: r.files, bytes: r.bytes, patched: r.patched });
    }
    for (const b of plan.binds) {
      if (b.snapshot) {
        const r = await restoreHostPath(blobs, b.snapshot, b.hostPath);
        if (r.created) out.createdPaths.push(b.hostPath);
        out.binds.push({ hostPath: b.hostPath, files: r.files, bytes: r.bytes });
      } else if (!(await exists(b.hostPath))) {
        await mkdir(b.hostPath, { recursive: true, mode: 0o755 }); // as `run -v /host:/path` does
        out.createdPaths.push(b.hostPath);
      }
    }
  } catch (err) {
    await undoData(volumes, out);
    throw err;
  }
  return out;
}
