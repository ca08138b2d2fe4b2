/**
 * `verify BACKUP --repo REPO` (and `restore --verify`): proves a backup starts, without touching
 * anything the host runs. The backup is restored into a sandbox (restore-plan.ts: a temporary
 * container name, network none, restart policy no, throw-away volumes restored from the snapshots,
 * binds replaced by throw-away volumes, no image names), started with Lifeboat's own runtime and
 * judged (verify-judge.ts). The verdict, with the last log lines, is returned AND written to the
 * repository next to the backup (verify-record.ts). The sandbox is always removed, and so are the
 * fetched blobs (the scratch store; the image too unless something else uses it).
 *
 * A backup that cannot even be restored (a corrupt or missing blob) is recorded as a failed
 * verification and its own error (exit 6) is thrown; a restore that starts but does not pass is a
 * verdict, which the CLI turns into exit 8.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { IntegrityError } from '../core/errors.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { withStoreWrite } from '../content/gc.js';
import type { Repository } from '../repository/repository.js';
import { ContainerStore } from '../runtime/container-store.js';
import type { BackupRecord } from './backup-format.js';
import { loadBackup, type BackupEntry } from './backup-catalog.js';
import { removeContainers } from './container-remove.js';
import { startContainer } from './container-start.js';
import { fetchBackup, releaseImage, scratchStore, type FetchedBlobs } from './restore-fetch.js';
import { materialize, type Materialized, type RestoreDeps } from './restore-materialize.js';
import { planRestore, type RestorePlan } from './restore-plan.js';
import { judge, lastLogLines, type Judgement } from './verify-judge.js';
import { writeVerification, type Verdict } from './verify-record.js';

export const DEFAULT_VERIFY_TIME_MS = 10_000;
const LOG_LINES = 20;

export interface VerifyOptions {
  verifyTimeMs?: number;
  progress?: Progress;
  signal?: AbortSignal;
}

export interface VerifyResult extends Verdict {
  /** Where the verdict was written in the repository. */
  file: string;
  sandbox: string;
}

/** The sandbox a backup is verified in: names no host container, volume, path or port. */
export function sandboxPlan(entry: BackupEntry, record: BackupRecord): RestorePlan {
  return planRestore(record, { sandbox: `lbverify-${entry.id.slice(0, 8)}-${randomBytes(2).toString('hex')}` }, () => randomBytes(32).toString('hex'));
}

function unrestorable(err: unknown): Judgement {
  return { passed: false, reason: `could not be restored: ${(err as Error).message}`, state: 'not started' };
}

async function record(repo: Repository, entry: BackupEntry, plan: RestorePlan, j: Judgement, logs: string[], verifyTimeMs: number, started: number): Promise<VerifyResult> {
  const verdict: Verdict = { backup: entry.id, ...j, logs, verifyTimeMs, durationMs: Date.now() - started, time: new Date().toISOString(), hostname: hostname() };
  return { ...verdict, file: await writeVerification(repo, verdict), sandbox: plan.name };
}

/**
 * Restores `plan` (a sandbox) from fetched blobs, starts it, judges it, removes it, and records
 * the verdict. The caller holds the repository's and the store's shared locks.
 */
export async function sandboxVerdict(deps: RestoreDeps, repo: Repository, entry: BackupEntry, backup: BackupRecord, plan: RestorePlan, blobs: FetchedBlobs, opts: VerifyOptions & { verifyTimeMs: number }): Promise<VerifyResult> {
  const started = Date.now();
  const store = new ContainerStore(deps.content.root);
  let made: Materialized | undefined;
  let judgement: Judgement;
  let logs: string[] = [];
  try {
    try {
      made = await materialize(deps, blobs, backup, plan, {});
    } catch (err) {
      // chunks are verified as they are written: a damaged one shows here, not in the fetch
      if (err instanceof IntegrityError) await record(repo, entry, plan, unrestorable(err), [], opts.verifyTimeMs, started);
      throw err;
    }
    (opts.progress ?? silentProgress).info(`Verifying backup ${entry.id.slice(0, 12)} in sandbox ${plan.name} for ${opts.verifyTimeMs / 1000}s`);
    try {
      await startContainer(deps.content.root, made.container.id);
      judgement = await judge(store, made.container.id, opts.verifyTimeMs, opts.signal);
    } catch (err) {
      judgement = { passed: false, reason: `did not start: ${(err as Error).message}`, state: 'not started' };
    }
    logs = await lastLogLines(store, made.container.id, LOG_LINES).catch(() => []);
  } finally {
    if (made) await removeContainers(deps.content.root, [made.container.id], { force: true, volumes: true }).catch(() => undefined);
    for (const v of plan.volumes) if (await deps.volumes.exists(v.name)) await deps.volumes.remove(v.name).catch(() => undefined);
  }
  return record(repo, entry, plan, judgement, logs, opts.verifyTimeMs, started);
}

export async function verifyBackup(deps: RestoreDeps, repo: Repository, id: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const started = Date.now();
  const progress = opts.progress ?? silentProgress;
  const verifyTimeMs = opts.verifyTimeMs ?? DEFAULT_VERIFY_TIME_MS;
  return repo.withLock('shared', async () => {
    const { entry, record: backup } = await loadBackup(repo, id);
    const plan = sandboxPlan(entry, backup);
    const scratch = await scratchStore(deps.content.root);
    try {
      return await withStoreWrite(deps.content.root, async () => {
        let blobs: FetchedBlobs;
        try {
          ({ blobs } = await fetchBackup(deps, repo, backup, [plan], scratch.content, opts));
        } catch (err) {
          await record(repo, entry, plan, unrestorable(err), [], verifyTimeMs, started);
          throw err;
        }
        return sandboxVerdict(deps, repo, entry, backup, plan, blobs, { ...opts, verifyTimeMs, progress });
      });
    } finally {
      await scratch.dispose();
      await releaseImage(deps, backup, progress);
    }
  });
}
