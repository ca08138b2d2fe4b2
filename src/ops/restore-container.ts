/**
 * The container of a restore: the backup's config on this host's snapshotter and executor, with
 * the backed-up writable layer applied into its new upper dir before it ever starts.
 *
 * Made through ContainerStore.create, whose build step runs in a private directory that becomes
 * the container only when config.json is written: the image's layers are prepared (unpacked once,
 * shared), the writable layer is unpacked into the upper dir (its DiffID checked over the whole
 * stream), and only then is the record written. Any failure on the way removes the directory, so
 * no half-made container is ever listed.
 *
 * The layer is applied with overlay whiteouts (char devices 0/0, opaque xattrs: exactly what an
 * overlay upper dir holds), or flattened into the private copy of the copying snapshotter. The
 * caller holds the shared store lock and has the image in the store and the layer in `blobs`.
 */
import { IntegrityError } from '../core/errors.js';
import { layerCompression } from '../core/media-types.js';
import type { Provider } from '../content/content-store.js';
import type { ImageStore } from '../images/image-store.js';
import { unpackLayer } from '../diff/unpack.js';
import { writeContainerFiles } from '../runtime/container-files.js';
import type { ContainerRecord, MountSpec } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import { chooseExecutor } from '../runtime/host-tools.js';
import { parseSignal } from '../runtime/signals.js';
import { chooseSnapshotter, openSnapshotter } from '../snapshots/detect.js';
import type { LayerSource, SnapshotterKind } from '../snapshots/snapshotter.js';
import { withLayersInUse } from '../snapshots/unpacked-layers.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import type { BackupRecord } from './backup-format.js';
import type { RestorePlan } from './restore-plan.js';

async function applyWritableLayer(blobs: Provider, layer: NonNullable<BackupRecord['writableLayer']>, upperDir: string, kind: SnapshotterKind): Promise<void> {
  const source = await blobs.reader(layer.layer.digest, { verify: true });
  await unpackLayer(upperDir, source, {
    whiteouts: kind === 'copy' ? 'flatten' : 'overlay',
    overlayXattrPrefix: kind === 'overlay-userxattr' ? 'user' : 'trusted',
    compression: layerCompression(layer.layer.mediaType) ?? 'none',
    diffId: layer.diffId,
  });
}

function mountsOf(plan: RestorePlan, volumes: VolumeStore): MountSpec[] {
  return plan.mounts.map((m) =>
    m.kind === 'volume'
      ? { type: 'volume', source: m.volume.name, target: m.volume.target, readOnly: m.volume.readOnly, hostPath: volumes.dataPath(m.volume.name), ...(m.volume.anonymous ? { anonymous: true } : {}) }
      : { type: 'bind', source: m.bind.hostPath, target: m.bind.target, readOnly: m.bind.readOnly, hostPath: m.bind.hostPath },
  );
}

/** `blobs` holds the writable layer (the restore's scratch store); the image is in `images`. */
export async function createFromBackup(images: ImageStore, blobs: Provider, volumes: VolumeStore, plan: RestorePlan, record: BackupRecord): Promise<ContainerRecord> {
  const root = images.content.root;
  const c = plan.container;
  const img = await images.load(record.image.manifest);
  if (img.id !== c.imageId) throw new IntegrityError(`the backup names image ${c.imageId} but its manifest's config is ${img.id}`, { code: 'BAD_BACKUP' });
  const snapshotter = openSnapshotter(root, chooseSnapshotter().kind);
  const executor = chooseExecutor(undefined, snapshotter.needsUserNamespace);
  const stopSignal = parseSignal(c.stopSignal);
  const layers: LayerSource[] = img.manifest.layers.map((l, i) => {
    const compression = layerCompression(l.mediaType);
    return { diffId: img.config.rootfs.diff_ids[i]!, ...(compression ? { compression } : {}), open: () => images.content.reader(l.digest) };
  });
  return withLayersInUse(root, () =>
    new ContainerStore(root).create(plan.name, async (id, paths) => {
      await writeContainerFiles(paths, { hostname: c.hostname, network: c.network });
      const prepared = await snapshotter.prepare(paths.dir, layers, { initDir: paths.init });
      const upperDir = snapshotter.upperDir(paths.dir);
      if (record.writableLayer) await applyWritableLayer(blobs, record.writableLayer, upperDir, snapshotter.kind);
      return {
        id,
        name: '',
        created: new Date().toISOString(),
        image: c.image,
        imageId: img.id,
        imageManifest: img.manifestDescriptor,
        entrypoint: c.entrypoint,
        cmd: c.cmd,
        process: c.process,
        hostname: c.hostname,
        network: c.network,
        ports: c.ports,
        labels: c.labels,
        restartPolicy: c.restartPolicy,
        autoRemove: false,
        stopSignal,
        stopTimeout: c.stopTimeout,
        ...(c.healthcheck ? { healthcheck: c.healthcheck } : {}),
        openStdin: c.openStdin,
        tty: c.tty,
        mounts: mountsOf(plan, volumes),
        rootfs: {
          snapshotter: snapshotter.kind,
          chain: prepared.chain,
          mounts: prepared.mounts,
          upperDir,
          userns: snapshotter.needsUserNamespace,
          graphDriverData: snapshotter.describe(paths.dir, prepared.chain),
        },
        executor,
      };
    }),
  );
}
