/**
 * `prune --repo REPO`: deletes what no backup needs any more. Under the EXCLUSIVE repository lock
 * (no backup can be adding a ref meanwhile), the live set is the closure of every remaining
 * backup, walked in the repository itself with the same edges as local GC (ops/gc.ts childrenOf
 * over the repository as a Provider: record → image, writable layer, snapshot records → trees →
 * chunks), level by level, a few reads at once. Then repository/prune.ts drops and repacks packs,
 * and the verification files of backups that are gone are deleted.
 *
 * Refused (exit 6, nothing deleted) when a ref does not parse or a live record or tree is missing:
 * a live set computed without them could delete data a backup still needs.
 */
import type { Digest } from '../core/digest.js';
import { IntegrityError } from '../core/errors.js';
import type { Descriptor } from '../core/oci.js';
import type { Progress } from '../core/progress.js';
import { prune, type PruneOptions, type PruneReport } from '../repository/prune.js';
import type { Repository } from '../repository/repository.js';
import { forEachLimit } from '../core/semaphore.js';
import { listBackups } from './backup-catalog.js';
import { childrenOf } from './gc.js';
import { deleteVerifications } from './verify-record.js';

export interface BackupPruneReport extends PruneReport {
  backups: number;
  verificationsDeleted: number;
}

/** The digests every root needs, read from the repository (blobs it lacks are an error). */
export async function repositoryLiveSet(repo: Repository, roots: Descriptor[]): Promise<Set<Digest>> {
  const index = await repo.index();
  const live = new Set<Digest>();
  const missing: Descriptor[] = [];
  let level = roots;
  while (level.length) {
    const fresh = new Map<Digest, Descriptor>();
    for (const d of level) if (!live.has(d.digest)) fresh.set(d.digest, d);
    for (const d of fresh.keys()) live.add(d);
    const next: Descriptor[] = [];
    await forEachLimit(fresh.values(), 8, async (d) => {
      if (!index.has(d.digest)) {
        missing.push(d);
        return;
      }
      next.push(...(await childrenOf(repo, d)));
    });
    level = next;
  }
  if (missing.length) {
    throw new IntegrityError(`refusing to prune: ${missing.length} blob(s) that backups need are missing from the repository (first: ${missing[0]!.digest}, ${missing[0]!.mediaType})`, {
      code: 'MISSING_BLOB',
      hint: 'run `lifeboat repo check --read-data`; forget the damaged backups first, then prune',
    });
  }
  return live;
}

/** Prune; the caller holds the exclusive lock. */
export async function pruneBackups(repo: Repository, opts: PruneOptions & { progress?: Progress } = {}): Promise<BackupPruneReport> {
  repo.assertLocked('exclusive');
  const { backups, damaged } = await listBackups(repo);
  if (damaged.length) {
    throw new IntegrityError(`refusing to prune: ${damaged.length} backup ref(s) cannot be read (${damaged[0]!.id}: ${damaged[0]!.error})`, {
      code: 'REPOSITORY_DAMAGED',
      hint: 'run `lifeboat repo check`; forget the damaged backups by ID first',
    });
  }
  const live = await repositoryLiveSet(repo, backups.map((b) => b.ref.backup));
  const report = await prune(repo, live, opts);
  const ids = new Set(backups.map((b) => b.id));
  const verificationsDeleted = opts.dryRun ? 0 : await deleteVerifications(repo, (id) => ids.has(id));
  return { ...report, backups: backups.length, verificationsDeleted };
}
