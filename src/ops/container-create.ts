/**
 * `create` (and the first half of `run`): image + flags → a container record with its writable
 * snapshot, volumes and files, ready to start. Composes the image store, the snapshotter, the
 * volume store and the runtime's record store; none of them knows the others.
 *
 * Locks: the store lock is held shared (garbage collection cannot take the image's blobs while
 * layers are unpacked) and the layers lock shared (no prune of unpacked layers) until config.json
 * is written; from then on the record itself keeps both alive (ops/gc.ts, ops/snapshot-gc.ts).
 */
import { ConflictError, UsageError } from '../core/errors.js';
import { layerCompression } from '../core/media-types.js';
import { withStoreWrite } from '../content/gc.js';
import type { ImageStore } from '../images/image-store.js';
import { writeContainerFiles } from '../runtime/container-files.js';
import type { ContainerRecord } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import { chooseExecutor } from '../runtime/host-tools.js';
import { mergeProcess } from '../runtime/process-config.js';
import { parseRestartPolicy } from '../runtime/restart-policy.js';
import { mergeHealth, parseLabels, parsePort, type HealthFlags } from '../runtime/run-flags.js';
import { parseSignal } from '../runtime/signals.js';
import { chooseSnapshotter, openSnapshotter } from '../snapshots/detect.js';
import type { LayerSource } from '../snapshots/snapshotter.js';
import { withLayersInUse } from '../snapshots/unpacked-layers.js';
import { VolumeStore } from '../volumes/volume-store.js';
import { planVolumes } from './container-volumes.js';

export interface CreateOptions {
  image: string;
  /** Command and arguments after the image name. */
  args?: string[];
  name?: string;
  entrypoint?: string;
  env?: string[];
  /** Lines already read from --env-file files. */
  envFileLines?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  volumes?: string[];
  network?: string;
  publish?: string[];
  labels?: string[];
  restart?: string;
  autoRemove?: boolean;
  health?: HealthFlags;
  stopSignal?: string;
  stopTimeout?: number;
  interactive?: boolean;
  tty?: boolean;
  /** Executor: unshare, runc or crun (default: $LIFEBOAT_RUNTIME, else unshare). */
  runtime?: string;
}

/** none (the default) or host; Docker's "bridge"/"default" become none: Lifeboat has no bridge. */
function networkMode(input: string | undefined): 'none' | 'host' {
  if (input === undefined || input === 'none' || input === 'default' || input === 'bridge') return 'none';
  if (input === 'host') return 'host';
  throw new UsageError(`network "${input}" is not supported (use none or host)`);
}

export async function createContainer(images: ImageStore, opts: CreateOptions): Promise<ContainerRecord> {
  const root = images.content.root;
  const restartPolicy = parseRestartPolicy(opts.restart);
  if (opts.autoRemove && restartPolicy.name !== 'no') throw new ConflictError('conflicting options: --restart and --rm');
  const network = networkMode(opts.network);
  const ports = (opts.publish ?? []).map(parsePort);
  const labelsFromFlags = parseLabels(opts.labels ?? []);
  const snapshotter = openSnapshotter(root, chooseSnapshotter().kind);
  const executor = chooseExecutor(opts.runtime, snapshotter.needsUserNamespace);
  if (opts.stopTimeout !== undefined && (!Number.isFinite(opts.stopTimeout) || opts.stopTimeout < 0)) throw new UsageError(`invalid stop timeout ${opts.stopTimeout}`);

  return withStoreWrite(root, async () => {
    const img = await images.resolve(opts.image);
    const spec = img.config.config ?? {};
    const proc = mergeProcess(spec, {
      args: opts.args ?? [],
      ...(opts.entrypoint !== undefined ? { entrypoint: opts.entrypoint } : {}),
      env: opts.env ?? [],
      envFileLines: opts.envFileLines ?? [],
      ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
      ...(opts.user !== undefined ? { user: opts.user } : {}),
    });
    const healthcheck = mergeHealth(spec.Healthcheck, opts.health ?? {});
    const stopSignal = parseSignal(opts.stopSignal ?? spec.StopSignal ?? 'SIGTERM');
    const layers: LayerSource[] = img.manifest.layers.map((l, i) => {
      const compression = layerCompression(l.mediaType);
      return { diffId: img.config.rootfs.diff_ids[i]!, ...(compression ? { compression } : {}), open: () => images.content.reader(l.digest) };
    });
    const volumes = new VolumeStore(root);
    const planned = await planVolumes(volumes, opts.volumes ?? [], Object.keys(spec.Volumes ?? {}));
    try {
      return await withLayersInUse(root, () =>
        new ContainerStore(root).create(opts.name, async (id, paths) => {
          const hostname = opts.hostname ?? id.slice(0, 12);
          await writeContainerFiles(paths, { hostname, network });
          const prepared = await snapshotter.prepare(paths.dir, layers, { initDir: paths.init });
          return {
            id,
            name: '',
            created: new Date().toISOString(),
            image: opts.image,
            imageId: img.id,
            imageManifest: img.manifestDescriptor,
            entrypoint: proc.entrypoint,
            cmd: proc.cmd,
            process: { args: proc.args, env: proc.env, cwd: proc.cwd, user: proc.user },
            hostname,
            network,
            ports,
            labels: { ...(spec.Labels ?? {}), ...labelsFromFlags },
            restartPolicy,
            autoRemove: !!opts.autoRemove,
            stopSignal,
            stopTimeout: opts.stopTimeout ?? 10,
            ...(healthcheck ? { healthcheck } : {}),
            openStdin: !!opts.interactive,
            tty: !!opts.tty,
            mounts: planned.mounts,
            rootfs: {
              snapshotter: snapshotter.kind,
              chain: prepared.chain,
              mounts: prepared.mounts,
              upperDir: snapshotter.upperDir(paths.dir),
              userns: snapshotter.needsUserNamespace,
              graphDriverData: snapshotter.describe(paths.dir, prepared.chain),
            },
            executor,
          };
        }),
      );
    } catch (err) {
      for (const name of planned.created) await volumes.remove(name).catch(() => undefined);
      throw err;
    }
  });
}
