/**
 * A restore staged ahead of time, so the part that must wait (a migration's cut-over, with the
 * container down) writes only what changed.
 *
 * `receive stage BACKUP --repo PATH --into DIR` restores the volumes of a backup (a pre-copy round,
 * while the source still runs) into `DIR/<volume>/data`, and writes `DIR/<volume>/base.json` (the
 * snapshot it holds) last, so a stage cut off half-way is never taken for a whole one. Later,
 * `restore FINAL --staged DIR` patches each staged directory from its base snapshot into the
 * final one and makes it the volume (volumes/restore-volume.ts, `staged`): the patch skips an
 * unchanged subtree without touching its files. Volumes are matched by their name on this host, so both commands get the same
 * `--volume` remaps; a volume without a usable stage (no marker, no data directory, or a patch
 * that fails) is restored whole, as always.
 *
 * DIR must be `<migration dir>/staged` under this store (the only place a stage is made, and the
 * migration's cleanup removes it) and on the same filesystem as the volumes (the patched
 * directory is renamed into place); otherwise nothing is staged.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isDigest, type Digest } from '../core/digest.js';
import { UsageError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { withStoreWrite } from '../content/gc.js';
import type { Repository } from '../repository/repository.js';
import type { PackSpan } from '../core/pack-format.js';
import { loadRecord } from '../volumes/tree-io.js';
import { loadBackup } from './backup-catalog.js';
import { isMigrationDir } from './migrate-target.js';
import { fetchClosure, scratchStore, type FetchedBlobs } from './restore-fetch.js';
import type { RestoreDeps } from './restore-materialize.js';
import { restoreTreeInto } from './restore-data.js';
import { planRestore, type RestorePlan, type RestoreRequest } from './restore-plan.js';

/** A staged volume: its data directory and the snapshot it holds exactly. */
export interface StagedVolume {
  dir: string;
  base: Digest;
}

export interface StageResult {
  volumes: Array<{ name: string; files: number; bytes: number }>;
  /** Why nothing was staged, when nothing was. */
  skipped?: string;
  durationMs: number;
}

const MARKER = 'base.json';

/** Refuses a stage directory that is not `<root>/migrate/<id>/staged`. */
export function checkStageDir(root: string, dir: string): void {
  if (basename(dir) !== 'staged' || !isMigrationDir(root, dirname(dir))) {
    throw new UsageError(`${dir} is not a migration's stage directory (<root>/migrate/<id>/staged)`);
  }
}

/** Restores the volumes of backup `id` into `into` (see the header). */
export async function stageVolumes(deps: RestoreDeps, repo: Repository, id: string, into: string, req: Pick<RestoreRequest, 'volumeMap'>): Promise<StageResult> {
  const started = Date.now();
  checkStageDir(deps.content.root, into);
  await mkdir(into, { recursive: true, mode: 0o700 });
  await mkdir(deps.volumes.dir, { recursive: true, mode: 0o700 });
  if ((await stat(into)).dev !== (await stat(deps.volumes.dir)).dev) {
    return { volumes: [], skipped: 'the stage directory and the volumes are on different filesystems', durationMs: Date.now() - started };
  }
  return repo.withLock('shared', async () => {
    const { record } = await loadBackup(repo, id);
    const plan = planRestore(record, req, () => randomBytes(32).toString('hex'));
    const wanted = plan.volumes.filter((v) => v.snapshot && !v.anonymous);
    const scratch = await scratchStore(deps.content.root);
    try {
      return await withStoreWrite(deps.content.root, async () => {
        const spans = new Map<Digest, PackSpan>();
        await fetchClosure(repo, scratch.content, wanted.map((v) => v.snapshot!), spans);
        const blobs: FetchedBlobs = { content: scratch.content, spans };
        const volumes: StageResult['volumes'] = [];
        for (const v of wanted) {
          const dir = join(into, v.name);
          await rm(dir, { recursive: true, force: true });
          await mkdir(join(dir, 'data'), { recursive: true, mode: 0o700 });
          const snap = await loadRecord(blobs.content, v.snapshot!.digest);
          const restorer = await restoreTreeInto(blobs, join(dir, 'data'), snap.tree.digest);
          await writeFile(join(dir, MARKER), JSON.stringify({ snapshot: v.snapshot }) + '\n', { mode: 0o600 });
          volumes.push({ name: v.name, files: restorer.counters.files, bytes: restorer.counters.bytes });
        }
        return { volumes, durationMs: Date.now() - started };
      });
    } finally {
      await scratch.dispose();
    }
  });
}

/** The whole stages in `dir` for the volumes of `plan`, by volume name (a missing or partial one is left out). */
export async function readStaged(root: string, dir: string, plan: RestorePlan): Promise<{ staged: Map<string, StagedVolume>; bases: Descriptor[] }> {
  checkStageDir(root, dir);
  const staged = new Map<string, StagedVolume>();
  const bases: Descriptor[] = [];
  for (const v of plan.volumes) {
    if (!v.snapshot || v.anonymous) continue;
    const marker = await readFile(join(dir, v.name, MARKER), 'utf8').catch(() => undefined);
    if (marker === undefined) continue;
    let base: Descriptor | undefined;
    try {
      const d = (JSON.parse(marker) as { snapshot?: Descriptor }).snapshot;
      if (d && isDigest(d.digest) && d.mediaType === MediaType.LifeboatVolumeSnapshot && Number.isSafeInteger(d.size)) base = { mediaType: d.mediaType, digest: d.digest, size: d.size };
    } catch {
      /* not a marker this Lifeboat wrote: restore that volume whole */
    }
    if (!base) continue;
    // The data itself must still be there, a directory (a patch renames it into the volume).
    if (!(await lstat(join(dir, v.name, 'data')).catch(() => undefined))?.isDirectory()) continue;
    staged.set(v.name, { dir: join(dir, v.name, 'data'), base: base.digest });
    bases.push(base);
  }
  return { staged, bases };
}
