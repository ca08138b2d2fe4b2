/**
 * `lifeboat commit CONTAINER [REPO[:TAG]]`: the container's writable layer becomes a new layer on
 * top of its image. The overlay upper dir is read as a diff: char devices 0/0 become `.wh.<name>`,
 * opaque directories `.wh..wh..opq`, overlay-private xattrs are dropped, whiteouts for names no
 * lower layer has are left out, and the contents of volume mount points never enter the layer.
 * A running container is paused (cgroup freezer) while its upper dir is read, unless told not to,
 * and resumed whatever happens. A commit with no change adds an `empty_layer` history entry and no
 * layer, as Docker does. The new image keeps the container's runnable config (CMD, ENTRYPOINT, ENV,
 * WORKDIR, USER, ports, labels, volumes, stop signal, health check), then `--change` applies.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { applyChanges } from '../core/image-change.js';
import { ContainerError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import type { ContainerConfigSpec, ImageConfig } from '../core/oci.js';
import { withStoreWrite } from '../content/gc.js';
import { writeLayer } from '../diff/walk.js';
import type { ImageRecord, ImageStore } from '../images/image-store.js';
import type { ContainerRecord } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import { pauseContainer, unpauseContainer } from '../runtime/lifecycle.js';
import { reconcile } from '../runtime/liveness.js';

export interface CommitOptions {
  /** Reference to tag the new image with; dangling when absent. */
  name?: string;
  message?: string;
  author?: string;
  changes?: string[];
  /** Pause a running container while its writable layer is read (default true). */
  pause?: boolean;
}

export interface CommitResult {
  image: ImageRecord;
  /** False when the container had no changes (an empty_layer history entry was added). */
  layerAdded: boolean;
  layerBytes: number;
}

/** The overlay lowerdirs of a container's rootfs mount, top first. */
export function lowerDirs(rec: ContainerRecord): string[] {
  for (const m of rec.rootfs.mounts) {
    const opt = m.options.find((o) => o.startsWith('lowerdir='));
    if (opt) return opt.slice('lowerdir='.length).split(':');
  }
  return [];
}

/** True when some lower layer shows `rel` (a 0/0 char device higher up hides it). */
export async function lowerHas(lowers: string[], rel: string): Promise<boolean> {
  for (const dir of lowers) {
    const st = await lstat(join(dir, rel)).catch(() => undefined);
    if (!st) continue;
    return !(st.isCharacterDevice() && st.rdev === 0);
  }
  return false;
}

/** What the container runs, in image-config terms (Docker commits the container's config). */
function runnableConfig(rec: ContainerRecord, base: ContainerConfigSpec): ContainerConfigSpec {
  const ports = { ...(base.ExposedPorts ?? {}) };
  for (const p of rec.ports) ports[`${p.containerPort}/${p.protocol}`] = {};
  const spec: ContainerConfigSpec = {
    ...base,
    Env: rec.process.env,
    Cmd: rec.cmd,
    Entrypoint: rec.entrypoint.length ? rec.entrypoint : null,
    WorkingDir: rec.process.cwd === '/' ? (base.WorkingDir ?? '') : rec.process.cwd,
    User: rec.process.user,
    Labels: { ...(base.Labels ?? {}), ...rec.labels },
    ExposedPorts: Object.keys(ports).length ? ports : null,
    StopSignal: rec.stopSignal,
  };
  if (rec.healthcheck) {
    const h = rec.healthcheck;
    spec.Healthcheck = { Test: h.test, Interval: h.intervalMs * 1e6, Timeout: h.timeoutMs * 1e6, StartPeriod: h.startPeriodMs * 1e6, Retries: h.retries };
  }
  return spec;
}

export async function commitContainer(images: ImageStore, input: string, opts: CommitOptions = {}): Promise<CommitResult> {
  const containers = new ContainerStore(images.content.root);
  const rec = await containers.resolve(input);
  if (rec.rootfs.snapshotter === 'copy') {
    throw new ContainerError(`cannot commit ${rec.name}: it runs on the copying snapshotter, whose upper dir is the whole filesystem`, { code: 'UNSUPPORTED', hint: 'commit needs the overlay snapshotter (run as root on a kernel with overlayfs)' });
  }
  const base = await images.load(rec.imageManifest);
  const excludeContents = rec.mounts.map((m) => m.target.replace(/^\/+/, '')).filter(Boolean);
  const lowers = lowerDirs(rec);
  return withStoreWrite(images.content.root, async () => {
    const state = await reconcile(containers, rec);
    const freeze = state.status === 'running' && opts.pause !== false;
    if (freeze) await pauseContainer(containers, rec);
    let layer;
    try {
      layer = await writeLayer(rec.rootfs.upperDir, { source: 'overlay-upper', excludeContents, lowerHas: (rel) => lowerHas(lowers, rel), compression: 'none' }, images.content);
    } finally {
      if (freeze) await unpauseContainer(containers, rec);
    }
    const changed = layer.entries > 0;
    const created = new Date().toISOString();
    const docker = base.manifest.mediaType === MediaType.DockerManifest;
    const config: ImageConfig = {
      ...base.config,
      created,
      ...(opts.author ? { author: opts.author } : {}),
      config: applyChanges(runnableConfig(rec, base.config.config ?? {}), opts.changes ?? []),
      container: rec.id,
      rootfs: { type: 'layers', diff_ids: [...base.config.rootfs.diff_ids, ...(changed ? [layer.diffId] : [])] },
      history: [
        ...(base.config.history ?? []),
        {
          created,
          created_by: [...rec.entrypoint, ...rec.cmd].join(' '),
          ...(opts.author ? { author: opts.author } : {}),
          ...(opts.message ? { comment: opts.message } : {}),
          ...(changed ? {} : { empty_layer: true }),
        },
      ],
    };
    const newLayer = { mediaType: docker ? MediaType.DockerLayer : MediaType.OciLayer, digest: layer.digest, size: layer.size };
    const image = await images.create({ config, layers: [...base.manifest.layers, ...(changed ? [newLayer] : [])], docker, ...(opts.name ? { name: opts.name } : {}) });
    return { image, layerAdded: changed, layerBytes: changed ? layer.size : 0 };
  });
}
