/**
 * `backup CONTAINER --to REPO`: one container, whole, into a repository, as one backup record.
 *
 * Order (restic's: data, then index, then the ref, so a cut backup leaves no ref and the next run
 * resumes by adopting the packs that arrived):
 *
 *   repository lock (shared: backups run side by side; prune waits) ─┐
 *   local store lock (shared: GC cannot take what is not yet named)  ─┤ held throughout
 *     1. adopt orphan packs (resume); parents: per volume, the newest snapshot whose chunks are
 *        here or in THIS repository
 *     2. capture (backup-capture.ts: hold the container once; writable layer; volume snapshots)
 *        with the volumes' new chunks and trees streaming into packs as they are read, then the
 *        rest of the closure (image, layer, what only the store has), all through one stream of
 *        packs (backup-send.ts), index files after their packs
 *     3. the record (with what step 2 sent), in a pack of its own; then the ref backups/<hex>.json
 *     4. the volume snapshots become HELD in the repository (backup-local.ts)
 *   locks released; then the writable layer's blob leaves the local store (dropUnreferenced)
 */
import { hostname } from 'node:os';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { withStoreWrite } from '../content/gc.js';
import { refName } from '../content/refs.js';
import type { CopyOptions, CopyReport } from '../repository/push.js';
import type { Repository } from '../repository/repository.js';
import type { ContainerRecord } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import { SnapshotRefs, type SnapshotInfo, type SnapshotRef } from '../volumes/snapshot-refs.js';
import { prestartWorkers } from '../volumes/worker-pool.js';
import { backupIdOf, refOf, type BackupContainer, type BackupRecord } from './backup-format.js';
import type { Captured, CaptureDeps } from './backup-capture.js';
import { closureOf, holdInRepository, releaseLocalCopies } from './backup-local.js';
import { captureInto, putRecord, resumeInto } from './backup-send.js';
import type { ConsistencyOptions } from './volume-quiesce.js';

export type BackupDeps = CaptureDeps;

export interface BackupOptions {
  tags?: string[];
  consistency?: ConsistencyOptions;
  includeBinds?: boolean;
  progress?: Progress;
  signal?: AbortSignal;
  copy?: Pick<CopyOptions, 'packTarget' | 'concurrency' | 'onPack'>;
}

export interface BackupResult {
  id: string;
  descriptor: Descriptor;
  record: BackupRecord;
  /** Both pushes together: what went over the wire, what the repository had. */
  sent: CopyReport['sent'];
  skipped: CopyReport['skipped'];
  adopted: CopyReport['adopted'];
  /** Blobs removed from the local store because the repository holds them. */
  released: { blobs: number; bytes: number };
  durationMs: number;
}

/** Per volume: the newest snapshot whose chunks are in the store, or held in this repository and still indexed there. */
async function chooseParents(deps: BackupDeps, repo: Repository, rec: ContainerRecord): Promise<Map<string, SnapshotInfo>> {
  const refs = new SnapshotRefs(deps.content.root);
  const index = await repo.index();
  const out = new Map<string, SnapshotInfo>();
  for (const m of rec.mounts.filter((x) => x.type === 'volume')) {
    const usable = (r: SnapshotRef) => r.heldIn === undefined || (r.heldIn === repo.config.id && index.has(r.descriptor.digest));
    const parent = await refs.latest(deps.content, m.source, usable).catch(() => undefined);
    if (parent) out.set(m.source, parent);
  }
  return out;
}

export function containerConfig(rec: ContainerRecord): BackupContainer {
  return {
    id: rec.id,
    name: rec.name,
    created: rec.created,
    image: rec.image,
    imageId: rec.imageId,
    entrypoint: rec.entrypoint,
    cmd: rec.cmd,
    process: rec.process,
    hostname: rec.hostname,
    network: rec.network,
    ports: rec.ports,
    labels: rec.labels,
    restartPolicy: rec.restartPolicy,
    stopSignal: rec.stopSignal,
    stopTimeout: rec.stopTimeout,
    ...(rec.healthcheck ? { healthcheck: rec.healthcheck } : {}),
    openStdin: rec.openStdin,
    tty: rec.tty,
    mounts: rec.mounts.map((m) => ({ type: m.type, source: m.source, target: m.target, readOnly: m.readOnly, ...(m.anonymous ? { anonymous: true } : {}) })),
  };
}

async function snapshotDescriptor(deps: BackupDeps, snap: SnapshotInfo): Promise<Descriptor> {
  const info = await deps.content.info(snap.id);
  return { mediaType: MediaType.LifeboatVolumeSnapshot, digest: snap.id, size: info?.size ?? 0 };
}

function addReports(a: CopyReport, b: CopyReport): Pick<BackupResult, 'sent' | 'skipped' | 'adopted'> {
  return {
    sent: { blobs: a.sent.blobs + b.sent.blobs, bytes: a.sent.bytes + b.sent.bytes, storedBytes: a.sent.storedBytes + b.sent.storedBytes, packs: a.sent.packs + b.sent.packs },
    skipped: { blobs: a.skipped.blobs + b.skipped.blobs, bytes: a.skipped.bytes + b.skipped.bytes },
    adopted: { packs: a.adopted.packs + b.adopted.packs, blobs: a.adopted.blobs + b.adopted.blobs },
  };
}

async function recordOf(deps: BackupDeps, rec: ContainerRecord, captured: Captured, push: CopyReport, opts: BackupOptions, started: number): Promise<BackupRecord> {
  const image = await deps.images.load(rec.imageManifest);
  const names = (await deps.images.refs.entries()).filter((e) => e.digest === rec.imageManifest.digest).flatMap((e) => refName(e) ?? []);
  const volumes = await Promise.all(
    captured.volumes.map(async ({ mount, snap }) => ({
      name: mount.source,
      target: mount.target,
      anonymous: !!mount.anonymous,
      snapshot: await snapshotDescriptor(deps, snap),
      files: snap.record.stats.files,
      bytes: snap.record.stats.bytes,
    })),
  );
  const binds = captured.binds.map(({ mount, snap }) => ({
    source: mount.source,
    target: mount.target,
    readOnly: mount.readOnly,
    ...(snap ? { snapshot: snap.descriptor, files: snap.record.stats.files, bytes: snap.record.stats.bytes } : {}),
  }));
  const snapStats = [...captured.volumes.map((v) => v.snap.record.stats), ...captured.binds.flatMap((b) => (b.snap ? [b.snap.record.stats] : []))];
  return {
    schemaVersion: 1,
    mediaType: MediaType.LifeboatBackup,
    created: new Date().toISOString(),
    hostname: hostname(),
    tags: [...new Set(opts.tags ?? [])].sort(),
    consistency: opts.consistency?.mode ?? 'pause',
    container: containerConfig(rec),
    image: { manifest: { mediaType: rec.imageManifest.mediaType, digest: rec.imageManifest.digest, size: rec.imageManifest.size }, names },
    ...(captured.layer ? { writableLayer: captured.layer } : {}),
    volumes,
    binds,
    stats: {
      bytes: image.size + (captured.layer?.layer.size ?? 0) + snapStats.reduce((n, s) => n + s.bytes, 0),
      addedBytes: push.sent.bytes,
      sentBytes: push.sent.storedBytes,
      unchangedFiles: snapStats.reduce((n, s) => n + s.unchangedFiles, 0),
      files: snapStats.reduce((n, s) => n + s.files, 0),
      heldMs: captured.heldMs,
      durationMs: Date.now() - started,
    },
  };
}

export async function backupContainer(deps: BackupDeps, repo: Repository, container: string, opts: BackupOptions = {}): Promise<BackupResult> {
  const started = Date.now();
  const progress = opts.progress ?? silentProgress;
  const rec = await new ContainerStore(deps.content.root).resolve(container);
  // The snapshots' I/O workers start while the repository is locked and the container held.
  if (rec.mounts.some((m) => m.type === 'volume' || opts.includeBinds)) prestartWorkers();
  const copy: CopyOptions = { ...opts.copy, progress, ...(opts.signal ? { signal: opts.signal } : {}) };
  const done = await repo.withLock('shared', (lock) =>
    withStoreWrite(deps.content.root, async () => {
      const adopted = await resumeInto(repo, copy);
      const parents = await chooseParents(deps, repo, rec);
      const capture = {
        consistency: opts.consistency ?? { mode: 'pause' as const },
        includeBinds: !!opts.includeBinds,
        parents,
        labels: { 'org.lifeboat.backup.container': rec.name },
        tags: opts.tags ?? [],
        progress,
        signal: opts.signal ? AbortSignal.any([opts.signal, lock.signal]) : lock.signal,
      };
      const { captured, first, named } = await captureInto(deps, repo, rec, capture, copy);
      first.adopted = adopted;
      const record = await recordOf(deps, rec, captured, first, opts, started);
      const { descriptor, second } = await putRecord(repo, record, copy);
      const id = backupIdOf(descriptor.digest);
      await repo.putRef(id, refOf(descriptor, record));
      const bindDescs = captured.binds.flatMap((b) => (b.snap ? [b.snap.descriptor] : []));
      const candidates = [
        ...(await holdInRepository(deps.content, captured.volumes.map((v) => v.snap), { id: repo.config.id, location: repo.location }, { chunksHere: false, kept: named })),
        ...(captured.layerKept ? [] : [captured.layerBlob]),
        ...(await closureOf(deps.content, bindDescs)),
      ];
      return { id, descriptor, record, candidates, named, ...addReports(first, second) };
    }),
  );
  const released = await releaseLocalCopies(deps.content, done.candidates, progress, done.named);
  const { candidates: _c, named: _n, ...result } = done;
  return { ...result, released, durationMs: Date.now() - started };
}
