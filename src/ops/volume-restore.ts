/**
 * `volume restore SNAP [--to NAME]`: refuses a target volume that a running (or paused) container
 * uses: the restore swaps the volume's data and walks it by path, which is only sound while nothing
 * else writes there. Stopped containers are fine: they see the restored data when they start. A
 * snapshot whose file chunks a backup moved to a repository (ref.heldIn) is restored from there.
 * The restore holds the store lock shared: the workers read chunks out of the store's packs by
 * offset, and GC (exclusive) rewrites packs, so it waits until the restore is done.
 */
import { ConflictError } from '../core/errors.js';
import { withStoreWrite } from '../content/gc.js';
import { restoreVolume, type RestoreVolumeOptions, type RestoreVolumeResult } from '../volumes/restore-volume.js';
import type { SnapshotInfo, SnapshotRef } from '../volumes/snapshot-refs.js';
import { activeUsers } from './volume-quiesce.js';
import type { VolumeDeps } from './volume-snapshot.js';
import { volumeUsers } from './volume-users.js';

export async function restoreVolumeChecked(deps: VolumeDeps, snap: SnapshotInfo & { ref?: SnapshotRef }, opts: RestoreVolumeOptions = {}): Promise<RestoreVolumeResult> {
  if (snap.ref?.heldIn !== undefined) {
    throw new ConflictError(`snapshot ${snap.id.slice(7, 19)} keeps its file data in repository ${snap.ref.heldIn}, not in this store`, {
      hint: 'restore it from that repository (lifeboat restore), or take a new snapshot',
    });
  }
  const target = opts.to ?? snap.record.volume;
  if (await deps.volumes.exists(target)) {
    const active = await activeUsers(deps.control, await volumeUsers(deps.content.root, target), target, 'restore into a new volume with --to NEW_NAME');
    if (active.length > 0) {
      throw new ConflictError(`volume ${target} is in use by running container(s) ${active.map((u) => u.name).join(', ')}`, {
        hint: 'stop them first (lifeboat stop NAME), or restore into a new volume with --to NEW_NAME',
      });
    }
  }
  return withStoreWrite(deps.content.root, () => restoreVolume(deps.content, deps.volumes, snap, opts));
}
