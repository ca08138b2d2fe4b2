/**
 * What a migration will move and what it will make on the target, decided before anything changes.
 *
 * - names on the target, as `restore` will choose them (restore-plan.ts): the container's name or
 *   --name; each named volume under its name or `--volume OLD=NEW` (OLD the volume's name or its
 *   mount target); anonymous volumes get fresh names there; `-p` remaps replace the mapping of the
 *   same container port and protocol. Bind mounts are NOT moved: the host path must exist there.
 * - what moves: the image (its closure: manifest, config, layers), the writable layer (its upper
 *   dir's size, an estimate until it is read) and the volumes' data (their size on disk).
 *
 * - what it will cost (estimateMigration, for --dry-run): the pre-copy is what the target lacks at
 *   the link rate (measured: ops/migrate-remote.ts linkRate, or assumed), while the container
 *   runs; the downtime is stopping it (a prompt stop assumed; at most its stop timeout) + the
 *   final delta at the link rate + the restore and start there (RESTORE_OVERHEAD_MS). The final
 *   delta is not known before the pre-copy (it is what the container writes meanwhile): the
 *   estimate takes its whole writable layer plus DELTA_SHARE of its volume data.
 *
 * namesFor() and estimateMigration() are pure (tested as tables); planMigration() reads the
 * container and the sizes.
 */
import { ConflictError, UsageError } from '../core/errors.js';
import type { Descriptor } from '../core/oci.js';
import type { LocalContentStore } from '../content/local-store.js';
import type { ContainerRecord, PortMapping } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import { parsePort } from '../runtime/run-flags.js';
import type { VolumeStore } from '../volumes/volume-store.js';
import { closureOf } from './backup-local.js';
import { parseVolumeMap } from './restore-plan.js';
import { du } from './volume-size.js';
import type { ContainerControl, ContainerRunState } from './volume-quiesce.js';
import { volumeUsers } from './volume-users.js';

export interface MigrateRequest {
  /** The container's name on the target (default: its name here). */
  name?: string;
  /** OLD=NEW: restore volume OLD (name or mount target) as NEW there. */
  volumeMap?: string[];
  /** `-p` specs replacing or adding port mappings there. */
  publish?: string[];
  /** KEY=VALUE environment variables set or replaced there. */
  env?: string[];
}

export interface MovedVolume {
  /** Its name here, its name there (undefined: a fresh anonymous name), where it is mounted. */
  source: string;
  target?: string;
  mountTarget: string;
  bytes: number;
}

export interface TargetNames {
  container: string;
  /** Named volumes to create there (anonymous ones get fresh names, never taken). */
  volumes: Array<{ source: string; target?: string; mountTarget: string }>;
  ports: PortMapping[];
  binds: string[];
}

export interface MigratePlan {
  container: { id: string; name: string; network: 'none' | 'host'; state: ContainerRunState; stopTimeout: number };
  names: TargetNames;
  request: Required<MigrateRequest>;
  image: { manifest: Descriptor; blobs: Descriptor[]; bytes: number };
  volumes: MovedVolume[];
  /** The writable layer's size as its upper dir holds it (the layer read at cut-over is what moves). */
  layerBytes: number;
}

/** The names and ports the container will have on the target (pure). */
export function namesFor(rec: Pick<ContainerRecord, 'name' | 'mounts' | 'ports'>, req: MigrateRequest): TargetNames {
  const map = parseVolumeMap(req.volumeMap ?? []);
  const used = new Set<string>();
  const volumes: TargetNames['volumes'] = [];
  const binds: string[] = [];
  for (const m of rec.mounts) {
    const key = [m.source, m.target].find((k) => map.has(k));
    if (key !== undefined) used.add(key);
    if (m.type === 'bind') {
      if (key !== undefined) throw new UsageError(`--volume ${key}=...: ${m.target} is a bind mount; a migration does not move host directories`, { hint: 'create the directory on the target first; the container will mount the same host path there' });
      binds.push(m.source);
      continue;
    }
    const remapped = key !== undefined ? map.get(key) : undefined;
    volumes.push({ source: m.source, ...(remapped !== undefined ? { target: remapped } : m.anonymous ? {} : { target: m.source }), mountTarget: m.target });
  }
  for (const k of map.keys()) if (!used.has(k)) throw new UsageError(`--volume ${k}=...: the container has no volume or mount target ${k}`);
  for (const e of req.env ?? []) if (!/^[^=\s]+=/.test(e)) throw new UsageError(`invalid --env "${e}": use KEY=VALUE`);
  const ports = [...rec.ports];
  for (const spec of req.publish ?? []) {
    const p = parsePort(spec);
    const i = ports.findIndex((q) => q.containerPort === p.containerPort && q.protocol === p.protocol);
    if (i >= 0) ports[i] = p;
    else ports.push(p);
  }
  return { container: req.name ?? rec.name, volumes, ports, binds: [...new Set(binds)] };
}

export interface PlanDeps {
  content: LocalContentStore;
  volumes: VolumeStore;
  control: ContainerControl;
}

/** The container, the names and sizes; refuses what cannot be migrated at all. */
export async function planMigration(deps: PlanDeps, container: string, req: MigrateRequest): Promise<MigratePlan> {
  const root = deps.content.root;
  const rec = await new ContainerStore(root).resolve(container);
  if (rec.autoRemove) throw new ConflictError(`container ${rec.name} was started with --rm: stopping it for the cut-over would remove it, so there would be nothing to go back to`, { hint: 'recreate it without --rm, or back it up and restore it on the target' });
  const state = await deps.control.state(rec.id);
  const names = namesFor(rec, req);
  for (const v of names.volumes) {
    const others = (await volumeUsers(root, v.source)).filter((u) => u.id !== rec.id);
    for (const u of others) {
      if ((await deps.control.state(u.id)) !== 'stopped') throw new ConflictError(`volume ${v.source} is also used by running container ${u.name}: it would go on writing to the copy left here`, { hint: `stop ${u.name} first (or migrate it too, one after the other)` });
    }
  }
  const blobs = await closureOf(deps.content, [rec.imageManifest]);
  const volumes: MovedVolume[] = [];
  for (const v of names.volumes) {
    if (volumes.some((x) => x.source === v.source)) continue; // one volume at two mount targets moves once
    volumes.push({ ...v, bytes: await du(deps.volumes.dataPath(v.source)) });
  }
  return {
    container: { id: rec.id, name: rec.name, network: rec.network, state, stopTimeout: rec.stopTimeout },
    names,
    request: { name: names.container, volumeMap: req.volumeMap ?? [], publish: req.publish ?? [], env: req.env ?? [] },
    image: { manifest: rec.imageManifest, blobs, bytes: blobs.reduce((n, d) => n + d.size, 0) },
    volumes,
    layerBytes: await du(rec.rootfs.upperDir),
  };
}

/** Bytes that move when the target has the blobs in `present`. */
export function lackedBytes(plan: MigratePlan, present: ReadonlySet<string>): { image: number; data: number; total: number } {
  const image = plan.image.blobs.filter((d) => !present.has(d.digest)).reduce((n, d) => n + d.size, 0);
  const data = plan.layerBytes + plan.volumes.reduce((n, v) => n + v.bytes, 0);
  return { image, data, total: image + data };
}

export const ASSUMED_RATE = 10 * 1024 * 1024;
export const DELTA_SHARE = 0.01;
export const STOP_MS = 1_000;
export const RESTORE_OVERHEAD_MS = 2_500;

export interface MigrationEstimate {
  /** Bytes per second, and whether that was measured. */
  linkRate: number;
  measured: boolean;
  lackedBytes: number;
  precopyMs: number;
  /** The assumed final delta and the downtime it gives. */
  deltaBytes: number;
  downtimeMs: number;
  /** The worst case for the stop: the container ignores its stop signal. */
  stopTimeoutMs: number;
}

export function estimateMigration(plan: MigratePlan, lackedBytes: number, rate: { bytesPerSec: number; measured: boolean } | undefined): MigrationEstimate {
  const linkRate = rate && rate.bytesPerSec > 0 ? rate.bytesPerSec : ASSUMED_RATE;
  const volumeBytes = plan.volumes.reduce((n, v) => n + v.bytes, 0);
  const running = plan.container.state !== 'stopped';
  const deltaBytes = running ? Math.round(plan.layerBytes + volumeBytes * DELTA_SHARE) : 0;
  const transferMs = (bytes: number) => Math.round((bytes / linkRate) * 1000);
  return {
    linkRate,
    measured: !!rate && rate.measured,
    lackedBytes,
    precopyMs: transferMs(lackedBytes),
    deltaBytes,
    downtimeMs: running ? STOP_MS + transferMs(deltaBytes) + RESTORE_OVERHEAD_MS : 0,
    stopTimeoutMs: plan.container.stopTimeout * 1000,
  };
}
