/**
 * `restore BACKUP [--name NEW] --from REPO`: brings a backup back as a container on this host.
 *
 *   1. resolve the ID (unique prefix), read the record from the repository (verified), plan names
 *      and remaps (restore-plan.ts), and refuse what would clobber something (preflight)
 *   2. fetch: the image into the store (durably: the container keeps it), records, trees and the
 *      writable layer into a scratch store that is deleted at the end, and where each file chunk
 *      is read from in the packs (restore-fetch.ts); every blob verified before it is used
 *   3. with --verify, prove it first in a sandbox (verify.ts) from the same fetched blobs; a
 *      failed verdict stops here (exit 8) with nothing restored
 *   4. materialize (restore-materialize.ts): volumes, bind data, image names, the container with
 *      its config and writable layer; undone if a step fails
 *   5. --start starts it
 *
 * Locks: the repository's shared lock throughout; the store's shared lock from the fetch until the
 * container (which keeps the image alive) exists. An image fetched for nothing (a failure, or a
 * sandbox only) leaves the store again (dropUnreferenced).
 */
import { randomBytes } from 'node:crypto';
import { VerifyFailedError } from '../core/errors.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { withStoreWrite } from '../content/gc.js';
import type { CopyReport } from '../repository/push.js';
import type { Repository } from '../repository/repository.js';
import { prestartWorkers } from '../volumes/worker-pool.js';
import type { BackupRecord } from './backup-format.js';
import { loadBackup } from './backup-catalog.js';
import { startContainer } from './container-start.js';
import { fetchBackup, releaseImage, scratchStore, type FetchReport } from './restore-fetch.js';
import { materialize, preflight, type Materialized, type ReplaceOptions, type RestoreDeps } from './restore-materialize.js';
import { planRestore, type RestorePlan, type RestoreRequest } from './restore-plan.js';
import { readStaged } from './restore-stage.js';
import { sandboxPlan, sandboxVerdict, type VerifyResult } from './verify.js';

export type { RestoreDeps } from './restore-materialize.js';

export interface RestoreOptions extends RestoreRequest, ReplaceOptions {
  start?: boolean;
  /** A migration's stage directory (restore-stage.ts): volumes staged there are patched, not restored whole. */
  staged?: string;
  /** Prove the backup in a sandbox first, for this long; restore only if it passes. */
  verifyTimeMs?: number;
  progress?: Progress;
  signal?: AbortSignal;
}

export interface RestoreResult extends Materialized {
  backup: string;
  fetched: { image: CopyReport; data: FetchReport };
  verification?: VerifyResult;
  started: boolean;
  durationMs: number;
}

export async function restoreBackup(deps: RestoreDeps, repo: Repository, id: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const started = Date.now();
  const progress = opts.progress ?? silentProgress;
  let fetchedRecord: BackupRecord | undefined;
  try {
    const done = await repo.withLock('shared', async () => {
      const { entry, record } = await loadBackup(repo, id);
      const plan = planRestore(record, opts, () => randomBytes(32).toString('hex'));
      if (plan.volumes.some((v) => v.snapshot)) prestartWorkers(); // they start while the data is fetched
      const sandbox = opts.verifyTimeMs !== undefined ? sandboxPlan(entry, record) : undefined;
      const replace = await preflight(deps, plan, opts);
      const stage = opts.staged !== undefined ? await readStaged(deps.content.root, opts.staged, plan) : undefined;
      const scratch = await scratchStore(deps.content.root);
      try {
        return await withStoreWrite(deps.content.root, async () => {
          fetchedRecord = record;
          const { blobs, ...fetched } = await fetchBackup(deps, repo, record, sandbox ? [plan, sandbox] : [plan], scratch.content, { ...opts, ...(stage ? { bases: stage.bases } : {}) });
          let verification: VerifyResult | undefined;
          if (sandbox) {
            verification = await sandboxVerdict(deps, repo, entry, record, sandbox, blobs, { verifyTimeMs: opts.verifyTimeMs!, progress });
            if (!verification.passed) {
              throw new VerifyFailedError(`backup ${entry.id.slice(0, 12)} failed verification: ${verification.reason}; nothing was restored`, {
                hint: 'see the last log lines; restore without --verify to inspect it anyway',
                data: { verification },
              });
            }
          }
          const made = await materialize(deps, blobs, record, plan, { overwrite: !!opts.overwrite, progress, ...(stage ? { staged: stage.staged } : {}) }, replace);
          return { entry, made, fetched, verification };
        });
      } finally {
        await scratch.dispose();
      }
    });
    if (opts.start) await startContainer(deps.content.root, done.made.container.id);
    return { backup: done.entry.id, ...done.made, fetched: done.fetched, ...(done.verification ? { verification: done.verification } : {}), started: !!opts.start, durationMs: Date.now() - started };
  } catch (err) {
    if (fetchedRecord) await releaseImage(deps, fetchedRecord, progress);
    throw err;
  }
}
