/**
 * The part of a restore that changes the host, and the check that comes before it:
 *
 * - preflight, before any byte moves: the container name and every target volume are free (or
 *   --force / --overwrite say to replace them; a volume a running container uses is never
 *   replaced), bind paths that would receive data are empty unless --overwrite;
 * - materialize, with the blobs fetched (the image in the store, the rest in the scratch store):
 *   the container being replaced is removed, volumes (and bind data) are restored from their
 *   snapshots, the image gets its backed-up names where they are free (a name that points at
 *   another image now is left alone; a sandbox names nothing), and the container is created with
 *   its config and writable layer (restore-container.ts). What it made is undone if a step fails.
 *
 * The caller holds the repository's and the store's shared locks.
 */
import { readdir } from 'node:fs/promises';
import { ConflictError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { formatReference, parseReference } from '../core/reference.js';
import { refName } from '../content/refs.js';
import type { ImageStore } from '../images/image-store.js';
import type { ContainerRecord } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import type { BackupRecord } from './backup-format.js';
import type { CaptureDeps } from './backup-capture.js';
import { removeContainers } from './container-remove.js';
import { createFromBackup } from './restore-container.js';
import { restoreData, undoData, type RestoredData } from './restore-data.js';
import type { FetchedBlobs } from './restore-fetch.js';
import type { RestorePlan } from './restore-plan.js';
import type { StagedVolume } from './restore-stage.js';
import { activeUsers } from './volume-quiesce.js';
import { volumeUsers } from './volume-users.js';

export type RestoreDeps = CaptureDeps;

export interface ReplaceOptions {
  /** Replace an existing container of that name. */
  force?: boolean;
  /** Replace existing volumes (and non-empty bind paths that receive data). */
  overwrite?: boolean;
}

export interface Materialized {
  container: ContainerRecord;
  data: RestoredData;
  /** Names the image has (set now or already), and names left pointing at another image. */
  image: { tagged: string[]; kept: string[] };
}

/** Refuses what would clobber something; returns the container to replace (--force). */
export async function preflight(deps: RestoreDeps, plan: RestorePlan, opts: ReplaceOptions): Promise<ContainerRecord | undefined> {
  const existing = (await new ContainerStore(deps.content.root).list()).find((c) => c.name === plan.name);
  if (existing && !opts.force) {
    throw new ConflictError(`a container named ${plan.name} exists`, { hint: '--force replaces it (it is removed first), or restore under another name with --name NEW' });
  }
  for (const v of plan.volumes) {
    if (!(await deps.volumes.exists(v.name))) continue;
    if (!opts.overwrite) throw new ConflictError(`volume ${v.name} exists`, { hint: "--overwrite replaces its data with the backup's, or --volume OLD=NEW restores into another volume" });
    const users = (await volumeUsers(deps.content.root, v.name)).filter((u) => u.id !== existing?.id);
    const active = await activeUsers(deps.control, users, v.name);
    if (active.length) throw new ConflictError(`volume ${v.name} is in use by running container(s) ${active.map((u) => u.name).join(', ')}`, { hint: 'stop them first, or restore into another volume with --volume OLD=NEW' });
  }
  for (const b of plan.binds) {
    if (!b.snapshot || opts.overwrite) continue;
    const entries = await readdir(b.hostPath).catch(() => [] as string[]);
    if (entries.length) throw new ConflictError(`bind path ${b.hostPath} is not empty`, { hint: "--overwrite replaces it with the backup's data, or --volume OLD=/new/path" });
  }
  return existing;
}

/** Ensures the image is in the index: its backed-up names where they are free, else unnamed. */
async function restoreImageNames(images: ImageStore, record: BackupRecord): Promise<{ added: boolean; tagged: string[]; kept: string[] }> {
  const manifest = record.image.manifest;
  const entries = await images.refs.entries();
  const had = entries.some((e) => e.digest === manifest.digest);
  const tagged: string[] = [];
  const kept: string[] = [];
  for (const raw of record.image.names) {
    let name: string;
    try {
      name = formatReference(parseReference(raw));
    } catch {
      continue; // a name this Lifeboat cannot parse is not applied
    }
    const current = entries.find((e) => refName(e) === name);
    if (current && current.digest !== manifest.digest) {
      kept.push(name);
      continue;
    }
    if (!current) await images.setRef(manifest, name);
    tagged.push(name);
  }
  if (!had && tagged.length === 0) await images.setRef(manifest, undefined); // unnamed, but listed
  return { added: !had, tagged, kept };
}

/** `blobs`: the snapshots and the writable layer, fetched (restore-fetch.ts). */
export async function materialize(deps: RestoreDeps, blobs: FetchedBlobs, record: BackupRecord, plan: RestorePlan, opts: ReplaceOptions & { progress?: Progress; staged?: ReadonlyMap<string, StagedVolume> }, replace?: ContainerRecord): Promise<Materialized> {
  if (replace) await removeContainers(deps.content.root, [replace.id], { force: true });
  const data = await restoreData(blobs, deps.content.root, deps.volumes, plan, { overwrite: !!opts.overwrite, ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.staged ? { staged: opts.staged } : {}) });
  let image: Awaited<ReturnType<typeof restoreImageNames>> | undefined;
  try {
    // a sandbox names nothing: its container keeps the image alive while it exists
    image = plan.sandbox ? { added: false, tagged: [], kept: [] } : await restoreImageNames(deps.images, record);
    const container = await createFromBackup(deps.images, blobs.content, deps.volumes, plan, record);
    return { container, data, image: { tagged: image.tagged, kept: image.kept } };
  } catch (err) {
    await undoData(deps.volumes, data);
    if (image?.added) await deps.images.forget(record.image.manifest.digest).catch(() => undefined);
    throw err;
  }
}
