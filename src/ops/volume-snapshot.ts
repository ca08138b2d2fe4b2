/**
 * `volume snapshot NAME`: finds the containers that use the volume, holds them as asked (pause by
 * default, --stop, --exec-before/--exec-after, --no-pause; see volume-quiesce.ts) and takes the
 * snapshot (volumes/take-snapshot.ts). An extra Quiescer can be passed (tests freeze a plain
 * writer process through the cgroup freezer with it).
 */
import type { LocalContentStore } from '../content/local-store.js';
import { noQuiescer, sequence, type Quiescer } from '../volumes/quiescer.js';
import type { SnapshotInfo } from '../volumes/snapshot-refs.js';
import { takeSnapshot, type TakeSnapshotOptions } from '../volumes/take-snapshot.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import { activeUsers, containerQuiescer, type ConsistencyOptions, type ContainerControl } from './volume-quiesce.js';
import { volumeUsers } from './volume-users.js';

export interface VolumeDeps {
  content: LocalContentStore;
  volumes: VolumeStore;
  /** The container runtime; undefined where none is available. */
  control?: ContainerControl;
}

export interface SnapshotVolumeOptions extends Omit<TakeSnapshotOptions, 'quiescer'> {
  consistency?: ConsistencyOptions;
  /** Held around the read in addition to the containers. */
  quiescer?: Quiescer;
}

export async function snapshotVolume(deps: VolumeDeps, name: string, opts: SnapshotVolumeOptions = {}): Promise<SnapshotInfo> {
  await deps.volumes.get(name); // NotFound before anything else
  const consistency = opts.consistency ?? { mode: 'pause' };
  let containers: Quiescer = noQuiescer;
  if (consistency.mode !== 'none' || consistency.execBefore || consistency.execAfter) {
    const active = await activeUsers(deps.control, await volumeUsers(deps.content.root, name), name);
    if (active.length > 0) containers = containerQuiescer(deps.control!, active, consistency);
  }
  const quiescer = opts.quiescer ? sequence(containers, opts.quiescer) : containers;
  return takeSnapshot(deps.content, deps.volumes, name, { ...opts, quiescer });
}
