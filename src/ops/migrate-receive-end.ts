/**
 * The end of a migration on the target: the verdict on the container it restored, and the cleanup
 * of what it leaves behind. Run by the source over SSH (ops/migrate-remote.ts), as
 * `lifeboat receive verify` and `lifeboat receive cleanup` (cli/commands/receive.ts).
 *
 * verify: the REAL container, restored and started here, judged by the same judge `restore
 * --verify` uses on its sandbox (verify-judge.ts): still running after the verify time and its
 * health check passing, or exited 0 (a run-to-completion container). Nothing is changed; whoever
 * asked decides what a failed verdict means.
 *
 * cleanup: after a success only the migration directory goes; on a rollback also the restored
 * container, the volumes the restore made, and the image when the target did not have it
 * before. It removes only what the migration can have made, and says what it removed:
 *
 * - the directory only when it is `<root>/migrate/<12 hex>` (a migration's, never anything else);
 * - the container of that name only when it was created at or after `since` (the target's own
 *   clock at preflight, when the name was free), killed first if it runs;
 * - each named volume only when it was created at or after `since` and no container uses it;
 * - the image (its refs, then the blobs and unpacked layers nothing else needs) only when no
 *   container uses it: the source asks for that only when the target lacked the image before.
 *
 * Idempotent: running it twice (a rollback retried after a cut link) removes nothing the second
 * time and fails on nothing already gone.
 */
import { rm } from 'node:fs/promises';
import { isDigest, type Digest } from '../core/digest.js';
import { UsageError } from '../core/errors.js';
import { LocalContentStore } from '../content/local-store.js';
import { ImageStore } from '../images/image-store.js';
import { ContainerStore } from '../runtime/container-store.js';
import { VolumeStore } from '../volumes/volume-store.js';
import { closureOf } from './backup-local.js';
import { removeContainers } from './container-remove.js';
import { dropUnreferenced } from './gc.js';
import { isMigrationDir } from './migrate-target.js';
import { pruneUnpackedLayers } from './snapshot-gc.js';
import { judge, lastLogLines, type Judgement } from './verify-judge.js';

const LOG_LINES = 20;

export interface ContainerVerdict extends Judgement {
  container: { id: string; name: string };
  verifyTimeMs: number;
  /** The container's last log lines, for a failed verdict's report. */
  logs: string[];
  time: string;
}

export async function verifyRunningContainer(root: string, name: string, verifyTimeMs: number, signal?: AbortSignal): Promise<ContainerVerdict> {
  const store = new ContainerStore(root);
  const rec = await store.resolve(name);
  const judgement = await judge(store, rec.id, verifyTimeMs, signal);
  const logs = judgement.passed ? [] : await lastLogLines(store, rec.id, LOG_LINES).catch(() => []);
  return { ...judgement, container: { id: rec.id, name: rec.name }, verifyTimeMs, logs, time: new Date().toISOString() };
}

export interface CleanupRequest {
  dir?: string;
  container?: string;
  volumes?: string[];
  image?: string;
  /** ISO time on this host; required with container and volumes. */
  since?: string;
}

export interface CleanupReport {
  dir?: string;
  container?: string;
  volumes: string[];
  image?: string;
  /** What was asked for but kept, and why. */
  kept: string[];
}

const after = (created: string, since: number) => Date.parse(created) >= since;

async function removeContainer(root: string, name: string, since: number, report: CleanupReport): Promise<void> {
  const rec = (await new ContainerStore(root).list()).find((c) => c.name === name);
  if (!rec) return;
  if (!after(rec.created, since)) {
    report.kept.push(`container ${name}: it existed before the migration`);
    return;
  }
  await removeContainers(root, [rec.id], { force: true, volumes: true });
  report.container = rec.id;
}

async function removeVolumes(root: string, names: string[], since: number, report: CleanupReport): Promise<void> {
  const volumes = new VolumeStore(root);
  const used = new Set((await new ContainerStore(root).list()).flatMap((c) => c.mounts.filter((m) => m.type === 'volume').map((m) => m.source)));
  for (const name of names) {
    if (!(await volumes.exists(name))) continue;
    const meta = await volumes.get(name);
    if (!after(meta.created, since)) report.kept.push(`volume ${name}: it existed before the migration`);
    else if (used.has(name)) report.kept.push(`volume ${name}: a container uses it`);
    else {
      await volumes.remove(name);
      report.volumes.push(name);
    }
  }
}

async function removeImage(root: string, manifest: Digest, report: CleanupReport): Promise<void> {
  const content = await LocalContentStore.open(root);
  if ((await new ContainerStore(root).list()).some((c) => c.imageManifest.digest === manifest)) {
    report.kept.push(`image ${manifest}: a container uses it`);
    return;
  }
  const images = new ImageStore(content);
  const ref = (await images.refs.entries()).find((e) => e.digest === manifest);
  await images.forget(manifest);
  if (ref) {
    const closure = await closureOf(content, [{ mediaType: ref.mediaType, digest: manifest, size: ref.size }]).catch(() => []);
    await dropUnreferenced(content, closure);
    await pruneUnpackedLayers(content);
  }
  report.image = manifest;
}

export async function receiveCleanup(root: string, req: CleanupRequest): Promise<CleanupReport> {
  const since = req.since === undefined ? NaN : Date.parse(req.since);
  if ((req.container !== undefined || req.volumes?.length) && Number.isNaN(since)) throw new UsageError('--since TIME (ISO 8601) is required to remove a container or volumes');
  if (req.dir !== undefined && !isMigrationDir(root, req.dir)) throw new UsageError(`${req.dir} is not a migration directory under ${root}; refusing to remove it`);
  if (req.image !== undefined && !isDigest(req.image)) throw new UsageError(`--image needs a manifest digest, not ${req.image}`);
  const report: CleanupReport = { volumes: [], kept: [] };
  if (req.container !== undefined) await removeContainer(root, req.container, since, report);
  if (req.volumes?.length) await removeVolumes(root, req.volumes, since, report);
  if (req.image !== undefined) await removeImage(root, req.image, report);
  if (req.dir !== undefined) {
    await rm(req.dir, { recursive: true, force: true });
    report.dir = req.dir;
  }
  return report;
}
