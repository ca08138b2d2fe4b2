/**
 * The local half of a backup: one consistent moment of a container, read into the local store
 * (with a sink, the volumes' chunks go straight to the repository instead; their trees and records
 * are still written here).
 *
 * Consistency is taken ONCE for the whole container. The container itself (hooks run there:
 * --exec-before, whose failure aborts before anything is held, and --exec-after) and every other
 * running container that shares one of its named volumes are held (pause by default, --stop,
 * --no-pause) while its writable layer is read as a layer blob (as `commit` reads it: whiteouts,
 * opaque dirs, volume contents left out) and every named volume is snapshotted, incrementally
 * against the parent the caller chose (volumes/take-snapshot.ts), then bind mounts with
 * --include-binds. The hold is released whatever happens; the last volume's snapshot releases it
 * before its final flush, so the container does not wait for a syncfs. A sink is told about the
 * hold: it uploads nothing while the container is held (nothing waits on the network then).
 *
 * The caller holds the shared store lock until the blobs read here are referenced (pushed, then
 * named by a ref), so garbage collection cannot race the backup.
 */
import type { Digest } from '../core/digest.js';
import type { Descriptor } from '../core/oci.js';
import { MediaType } from '../core/media-types.js';
import type { Progress } from '../core/progress.js';
import type { LocalContentStore } from '../content/local-store.js';
import { writeLayer } from '../diff/walk.js';
import type { ImageStore } from '../images/image-store.js';
import type { ContainerRecord, MountSpec } from '../runtime/container-record.js';
import type { BlobSink } from '../volumes/blob-sink.js';
import { noQuiescer, sequence, type Quiescer, type Release } from '../volumes/quiescer.js';
import type { SnapshotInfo } from '../volumes/snapshot-refs.js';
import { takeSnapshot } from '../volumes/take-snapshot.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import { snapshotDirectory, type DirectorySnapshot } from './backup-bind.js';
import { LayerIngester } from './backup-layer.js';
import { lowerDirs, lowerHas } from './commit.js';
import { activeUsers, containerQuiescer, type ConsistencyOptions, type ContainerControl } from './volume-quiesce.js';
import { volumeUsers, type VolumeUser } from './volume-users.js';

export interface CaptureDeps {
  content: LocalContentStore;
  images: ImageStore;
  volumes: VolumeStore;
  control: ContainerControl;
}

export interface CaptureOptions {
  consistency: ConsistencyOptions;
  includeBinds: boolean;
  /** The parent snapshot of each volume (by name); absent: a full read. */
  parents: ReadonlyMap<string, SnapshotInfo>;
  labels: Record<string, string>;
  tags: string[];
  /**
   * Where the snapshots' chunks (and trees) go as they are read: the repository (backup-send.ts).
   * Default: the store. Told when the container is held and released again (a PackSink uploads
   * nothing in between).
   */
  sink?: BlobSink & { hold?(): void; release?(): void; pack?(digest: Digest, data: Buffer): Promise<void> };
  progress?: Progress;
  signal?: AbortSignal;
}

export interface CapturedLayer {
  layer: Descriptor;
  diffId: Digest;
  entries: number;
  /** The copying snapshotter's "upper dir" is the whole root filesystem. */
  full?: boolean;
}

export interface Captured {
  /** The layer blob as written (also when empty: it is then dropped again). */
  layerBlob: Descriptor;
  /** The layer blob went straight into the sink (it is small): it is not in the store. */
  layerKept?: boolean;
  layer?: CapturedLayer;
  volumes: Array<{ mount: MountSpec; snap: SnapshotInfo }>;
  binds: Array<{ mount: MountSpec; snap?: DirectorySnapshot }>;
  heldMs: number;
}

/** Who is held: the container (with the hooks) and the other running users of its volumes (without). */
async function quiescerFor(control: ContainerControl, root: string, rec: ContainerRecord, c: ConsistencyOptions): Promise<Quiescer> {
  if (c.mode === 'none' && !c.execBefore && !c.execAfter) return noQuiescer;
  const self = { id: rec.id, name: rec.name, state: await control.state(rec.id) };
  const others = new Map<string, VolumeUser & { state: Awaited<ReturnType<ContainerControl['state']>> }>();
  if (c.mode !== 'none') {
    for (const m of rec.mounts.filter((x) => x.type === 'volume')) {
      for (const u of await activeUsers(control, await volumeUsers(root, m.source), m.source)) if (u.id !== rec.id && u.state === 'running') others.set(u.id, u);
    }
  }
  if (self.state !== 'running' && others.size === 0) return noQuiescer; // nothing runs: nothing to hold, no hook to run
  return sequence(containerQuiescer(control, [self], c), containerQuiescer(control, [...others.values()], { mode: c.mode, ...(c.warn ? { warn: c.warn } : {}) }));
}

export async function captureContainer(deps: CaptureDeps, rec: ContainerRecord, opts: CaptureOptions): Promise<Captured> {
  const { content } = deps;
  const volumeMounts = rec.mounts.filter((m) => m.type === 'volume');
  const bindMounts = rec.mounts.filter((m) => m.type === 'bind');
  const full = rec.rootfs.snapshotter === 'copy';
  const lowers = lowerDirs(rec);
  const quiescer = await quiescerFor(deps.control, content.root, rec, opts.consistency);

  let release: Release | undefined = await quiescer.hold();
  if (quiescer !== noQuiescer) opts.sink?.hold?.();
  const heldSince = Date.now();
  let heldMs = 0;
  const releaseOnce = async (): Promise<void> => {
    const r = release;
    release = undefined;
    if (!r) return;
    if (quiescer !== noQuiescer) heldMs = Date.now() - heldSince;
    await r();
    opts.sink?.release?.();
  };
  const layerTo = opts.sink?.pack ? new LayerIngester(content, (digest, bytes) => opts.sink!.pack!(digest, bytes)) : undefined;
  try {
    const written = await writeLayer(
      rec.rootfs.upperDir,
      {
        source: full ? 'plain' : 'overlay-upper',
        excludeContents: rec.mounts.map((m) => m.target.replace(/^\/+/, '')).filter(Boolean),
        ...(full ? {} : { lowerHas: (rel: string) => lowerHas(lowers, rel) }),
        compression: 'none',
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      layerTo ?? content,
    );
    const layerBlob: Descriptor = { mediaType: MediaType.OciLayer, digest: written.digest, size: written.size };
    const volumes: Captured['volumes'] = [];
    for (const [i, mount] of volumeMounts.entries()) {
      const twice = volumes.find((v) => v.mount.source === mount.source); // one volume at two targets
      if (twice) {
        volumes.push({ mount, snap: twice.snap });
        continue;
      }
      const lastRead = i === volumeMounts.length - 1 && !(opts.includeBinds && bindMounts.length > 0);
      const parent = opts.parents.get(mount.source);
      const snap = await takeSnapshot(content, deps.volumes, mount.source, {
        tags: opts.tags,
        labels: opts.labels,
        ...(parent ? { parent } : {}),
        // the last read lets the container go before the snapshot's final flush
        quiescer: lastRead ? { hold: async () => releaseOnce } : noQuiescer,
        writeRef: false, // written, held, only after the push (ops/backup-local.ts)
        ...(opts.sink ? { sink: opts.sink } : {}),
        ...(opts.progress ? { progress: opts.progress } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      volumes.push({ mount, snap });
    }
    const binds: Captured['binds'] = [];
    for (const mount of bindMounts) {
      if (!opts.includeBinds) {
        binds.push({ mount });
        continue;
      }
      const snap = await snapshotDirectory(content, mount.hostPath, {
        labels: opts.labels,
        tags: opts.tags,
        ...(opts.sink ? { sink: opts.sink } : {}),
        ...(opts.progress ? { progress: opts.progress } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      binds.push({ mount, snap });
    }
    await releaseOnce();
    const layer = written.entries > 0 ? { layer: layerBlob, diffId: written.diffId, entries: written.entries, ...(full ? { full: true } : {}) } : undefined;
    return { layerBlob, ...(layerTo && !layerTo.stored ? { layerKept: true } : {}), ...(layer ? { layer } : {}), volumes, binds, heldMs };
  } catch (err) {
    await releaseOnce().catch((e: unknown) => opts.consistency.warn?.(`could not resume ${rec.name}: ${(e as Error).message}`));
    throw err;
  }
}
