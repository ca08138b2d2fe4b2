/**
 * `rm` and `container prune`: a container's writable layer dies with it, exactly as in Docker;
 * its named volumes live on, its anonymous volumes go with `-v` (and with --rm). Removal makes sure
 * nothing of the container is left: no process (force kills it), no mount (anything still mounted
 * under its directory is detached first), no cgroup, no directory; then unpacked layers that no
 * image or container needs any more are deleted.
 *
 * The volume store, the content store and the layer GC are imported only when a removal needs them:
 * every `run --rm` waits for this module in its supervisor, and most remove neither.
 */
import { readFile } from 'node:fs/promises';
import { ConflictError } from '../core/errors.js';
import { RefStore } from '../content/refs.js';
import { ContainerCgroup } from '../runtime/cgroups.js';
import { isActive, type ContainerRecord } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import { killContainer, waitForExit } from '../runtime/lifecycle.js';
import { reconcile } from '../runtime/liveness.js';
import { openSnapshotter } from '../snapshots/detect.js';

export interface RemoveOptions {
  force?: boolean;
  /** Also remove the container's anonymous volumes. */
  volumes?: boolean;
}

/** Mountpoints at or below `dir` in this mount namespace (octal escapes decoded), deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const path = mp.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === dir || path.startsWith(`${dir}/`)) out.push(path);
  }
  return out.sort((a, b) => b.length - a.length);
}

async function removeOne(store: ContainerStore, rec: ContainerRecord, opts: RemoveOptions): Promise<void> {
  let state = await reconcile(store, rec);
  if (isActive(state.status)) {
    if (!opts.force) {
      throw new ConflictError(`cannot remove container "${rec.name}": container is ${state.status}`, { hint: 'stop the container before removing it, or use rm -f' });
    }
    await killContainer(store, rec, 'SIGKILL').catch(() => undefined);
    // Whatever is still in its cgroup goes too (force means nothing of it may survive).
    for (const pid of new ContainerCgroup(rec.id).pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    state = (await waitForExit(store, rec, 10_000)) ?? state;
    if (isActive(state.status)) throw new ConflictError(`container ${rec.name} did not stop; not removed`);
  }
  const paths = store.paths(rec.id);
  const mounted = await mountsUnder(paths.dir); // usually none: the rootfs is mounted in the container's own namespace
  if (mounted.length) {
    const { spawnSync } = await import('node:child_process');
    for (const mp of mounted) spawnSync('umount', ['-l', mp], { stdio: 'ignore' });
  }
  await openSnapshotter(store.root, rec.rootfs.snapshotter).remove(paths.dir);
  await new ContainerCgroup(rec.id).remove();
  await store.delete(rec.id);
  const anonymous = opts.volumes ? rec.mounts.filter((m) => m.type === 'volume' && m.anonymous) : [];
  if (anonymous.length) {
    const { VolumeStore } = await import('../volumes/volume-store.js');
    const volumes = new VolumeStore(store.root);
    const stillUsed = new Set((await store.list()).flatMap((c) => c.mounts.filter((m) => m.type === 'volume').map((m) => m.source)));
    for (const m of anonymous) {
      if (!stillUsed.has(m.source)) await volumes.remove(m.source).catch(() => undefined);
    }
  }
}

/** Deletes unpacked layers the removed containers were the last to need. */
async function pruneLayersAfter(root: string, removed: ContainerRecord[]): Promise<void> {
  const entries = await new RefStore(root).entries().catch(() => []);
  if (removed.every((r) => entries.some((e) => e.digest === r.imageManifest?.digest))) return; // their images keep the layers
  const [{ LocalContentStore }, { pruneUnpackedLayers }] = await Promise.all([import('../content/local-store.js'), import('./snapshot-gc.js')]);
  await pruneUnpackedLayers(await LocalContentStore.open(root));
}

export async function removeContainers(root: string, inputs: string[], opts: RemoveOptions = {}): Promise<string[]> {
  const store = new ContainerStore(root);
  const removed: ContainerRecord[] = [];
  const errors: Error[] = [];
  for (const input of inputs) {
    try {
      const rec = await store.resolve(input);
      await removeOne(store, rec, opts);
      removed.push(rec);
    } catch (err) {
      errors.push(err as Error);
    }
  }
  if (removed.length) await pruneLayersAfter(root, removed);
  if (errors.length) throw errors[0]!;
  return removed.map((r) => r.id);
}

export interface ContainerPruneResult {
  deleted: string[];
  reclaimedBytes: number;
}

/** Removes every container that is not running (created, exited, dead). */
export async function pruneContainers(root: string): Promise<ContainerPruneResult> {
  const store = new ContainerStore(root);
  const removed: ContainerRecord[] = [];
  let reclaimedBytes = 0;
  const { diskUsage } = await import('./system-df.js');
  for (const rec of await store.list()) {
    const state = await reconcile(store, rec).catch(() => undefined);
    if (!state || isActive(state.status)) continue;
    const bytes = await diskUsage(rec.rootfs.upperDir);
    try {
      await removeOne(store, rec, {});
      removed.push(rec);
      reclaimedBytes += bytes;
    } catch {
      /* started meanwhile, or removed by someone else */
    }
  }
  if (removed.length) await pruneLayersAfter(root, removed);
  return { deleted: removed.map((r) => r.id), reclaimedBytes };
}
