/**
 * `volume rm` and `volume prune`, with Docker's rules: a volume that a container uses is not
 * removed (rm -f removes it anyway, but never under a running container when the runtime can
 * tell); prune removes unused anonymous volumes, or with `all` every unused volume (Docker 23+),
 * optionally only those matching label filters. Snapshots of a removed volume are kept: they are
 * how it comes back (`volume forget` removes them).
 */
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { VolumeMeta, VolumeStore } from '../volumes/volume-store.js';
import { withVolumeLock } from '../volumes/volume-lock.js';
import type { ContainerControl } from './volume-quiesce.js';
import { du } from './volume-size.js';
import { volumeUsageMap, volumeUsers } from './volume-users.js';

export async function removeVolume(root: string, volumes: VolumeStore, name: string, opts: { force?: boolean; control?: ContainerControl } = {}): Promise<void> {
  await volumes.get(name);
  const users = await volumeUsers(root, name);
  if (users.length > 0) {
    const names = users.map((u) => u.name).join(', ');
    if (!opts.force) throw new ConflictError(`remove ${name}: volume is in use - [${names}]`, { hint: 'remove the containers first, or use -f' });
    for (const u of users) {
      const state = opts.control ? await opts.control.state(u.id).catch((err: unknown) => (err instanceof NotFoundError ? 'stopped' : Promise.reject(err))) : 'stopped';
      if (state !== 'stopped') throw new ConflictError(`remove ${name}: volume is in use by running container ${u.name}`, { hint: 'stop the container first' });
    }
  }
  await withVolumeLock(root, name, () => volumes.remove(name));
}

export interface PruneResult {
  deleted: string[];
  reclaimedBytes: number;
}

/** `label=key` or `label=key=value` (and `label!=...`) filters, as Docker's. */
export function matchesLabels(meta: VolumeMeta, filters: string[]): boolean {
  return filters.every((f) => {
    const m = /^label(!?)=([^=]+)(?:=(.*))?$/.exec(f);
    if (!m) return true;
    const [, not, key, value] = m;
    const has = key! in meta.labels && (value === undefined || meta.labels[key!] === value);
    return not ? !has : has;
  });
}

export async function pruneVolumes(root: string, volumes: VolumeStore, opts: { all?: boolean; filters?: string[] } = {}): Promise<PruneResult> {
  const used = await volumeUsageMap(root);
  const deleted: string[] = [];
  let reclaimedBytes = 0;
  for (const v of await volumes.list()) {
    if (used.has(v.name) || (!opts.all && !v.anonymous) || !matchesLabels(v, opts.filters ?? [])) continue;
    const size = await du(volumes.dataPath(v.name));
    await withVolumeLock(root, v.name, () => volumes.remove(v.name));
    deleted.push(v.name);
    reclaimedBytes += size;
  }
  return { deleted, reclaimedBytes };
}
