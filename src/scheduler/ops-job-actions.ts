/**
 * The real JobActions, composed from the ops functions (the scheduler adds no storage logic):
 *
 *   backup    ops/backup.ts backupContainer per container (tagged `schedule:<job>`), then with
 *             verify ops/verify.ts verifyBackup of the new backup in a sandbox
 *   snapshot  ops/volume-snapshot.ts snapshotVolume per volume (tagged the same way); volumes on
 *             their own stay in the local store (a repository holds container backups, which carry
 *             their volumes' snapshots)
 *   retain    ops/backup-forget.ts forgetBackups over the job's own backups (tag `schedule:<job>`,
 *             grouped per container), then ops/backup-prune.ts pruneBackups under the repository's
 *             EXCLUSIVE lock (a backup holds the shared one, so the two never overlap);
 *             ops/volume-forget.ts forgetSnapshots per volume, then ops/gc.ts collectGarbage
 *   drill     ops/backup-catalog.ts listBackups → the newest backup of each selected container →
 *             verifyBackup (restore into a sandbox, start, judge, remove; the verdict is recorded
 *             in the repository too)
 *
 * Failures of one container or volume are items with an error; a cancelled signal rejects. A
 * step that finds a lock taken (another job's prune, backups in flight when retention wants the
 * exclusive lock) waits for it, up to LOCK_WAIT_MS, instead of failing the run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LifeboatError, LockedError, fromSystemError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { LocalContentStore } from '../content/local-store.js';
import { ImageStore } from '../images/image-store.js';
import { listBackups, loadBackupRecord, type BackupEntry } from '../ops/backup-catalog.js';
import { forgetBackups } from '../ops/backup-forget.js';
import { pruneBackups } from '../ops/backup-prune.js';
import { backupContainer, type BackupDeps } from '../ops/backup.js';
import { containerControl } from '../ops/container-control.js';
import { collectGarbage } from '../ops/gc.js';
import { verifyBackup } from '../ops/verify.js';
import { forgetSnapshots } from '../ops/volume-forget.js';
import { snapshotVolume } from '../ops/volume-snapshot.js';
import type { ConsistencyOptions } from '../ops/volume-quiesce.js';
import { openRepository, type Repository } from '../repository/repository.js';
import { ContainerStore } from '../runtime/container-store.js';
import { VolumeStore } from '../volumes/volume-store.js';
import type { ActionContext, ItemOutcome, JobActions, RetainOutcome } from './job-actions.js';
import { labelsMatch, type Consistency, type ContainerSelection, type RepositoryTarget } from './job-spec.js';

/** The tag every scheduled backup and snapshot carries; retention only ever touches its own job's. */
export function scheduleTag(job: string): string {
  return `schedule:${job}`;
}

export function opsJobActions(root: string, opts: { progress?: Progress } = {}): JobActions {
  let depsP: Promise<BackupDeps> | undefined;
  const deps = () =>
    (depsP ??= LocalContentStore.open(root).then((content) => ({ content, images: new ImageStore(content), volumes: new VolumeStore(root), control: containerControl(root) })));
  const progress = opts.progress ? { progress: opts.progress } : {};

  return {
    async backup(req, ctx) {
      const d = await deps();
      const names = await localContainers(root, req.containers, ctx);
      return withRepository(req.repository, ctx, (repo) =>
        eachItem(names, ctx, async (name) => {
          const b = await whenUnlocked(ctx, () => backupContainer(d, repo, name, { tags: [scheduleTag(ctx.job)], consistency: consistencyOf(req.consistency, ctx), signal: ctx.signal, ...progress }));
          const item: ItemOutcome = { name, id: b.id, bytesAdded: b.record.stats.addedBytes };
          if (!req.verify) return item;
          const v = await whenUnlocked(ctx, () => verifyBackup(d, repo, b.id, { signal: ctx.signal, ...(req.verifyTimeMs !== undefined ? { verifyTimeMs: req.verifyTimeMs } : {}), ...progress }));
          ctx.log(`${name}: backup ${b.id.slice(0, 12)} verified: ${v.passed ? 'passed' : 'FAILED'} (${v.reason})`);
          return { ...item, verified: v.passed, ...(v.passed ? {} : { error: `verify: ${v.reason}` }) };
        }),
      );
    },

    async snapshot(req, ctx) {
      const d = await deps();
      if (req.repository) ctx.log('volumes on their own are snapshotted into the local store; the repository receives container backups (with their volumes)');
      return eachItem(req.volumes, ctx, async (volume) => {
        const snap = await snapshotVolume(d, volume, { tags: [scheduleTag(ctx.job)], consistency: consistencyOf(req.consistency, ctx), signal: ctx.signal, ...progress });
        return { name: volume, id: snap.id, bytesAdded: snap.record.stats.addedBytes };
      });
    },

    async retain(req, ctx) {
      const out: RetainOutcome = { kept: [], removed: [], freedBytes: 0 };
      if (req.repository && req.containers.length) {
        await withRepository(req.repository, ctx, async (repo) => {
          const r = await whenUnlocked(ctx, () => forgetBackups(repo, { tags: [scheduleTag(ctx.job)], policy: req.policy, ...progress }));
          for (const x of r.decisions) note(out, x.container, x.id, x.keep, x.reasons);
          ctx.signal.throwIfAborted();
          const p = await whenUnlocked(ctx, () => repo.withLock('exclusive', () => pruneBackups(repo, progress)));
          out.freedBytes += p.bytes.deleted;
          ctx.log(`retention: forgot ${r.removed} backup(s), kept ${r.decisions.length - r.removed}; prune deleted ${p.packs.deleted} pack(s)`);
        });
      }
      if (req.volumes.length) {
        const d = await deps();
        let removed = 0;
        for (const volume of req.volumes) {
          ctx.signal.throwIfAborted();
          const r = await forgetSnapshots(d.content, { volume, policy: req.policy });
          for (const x of r.decisions) note(out, volume, x.id, x.keep, x.reasons);
          removed += r.removed;
        }
        if (removed > 0) out.freedBytes += (await collectGarbage(d.content)).reclaimedBytes;
        ctx.log(`retention: forgot ${removed} volume snapshot(s)`);
      }
      return out;
    },

    async drill(req, ctx) {
      const d = await deps();
      return withRepository(req.repository, ctx, async (repo) => {
        const chosen = await drillTargets(repo, req.containers);
        return eachItem([...chosen.keys()], ctx, async (name) => {
          const entry = chosen.get(name);
          if (!entry) return { name, bytesAdded: 0, verified: false, error: `no backup of ${name} in ${repo.location}` };
          const v = await whenUnlocked(ctx, () => verifyBackup(d, repo, entry.id, { signal: ctx.signal, ...(req.verifyTimeMs !== undefined ? { verifyTimeMs: req.verifyTimeMs } : {}), ...progress }));
          ctx.log(`drill ${name}: backup ${entry.id.slice(0, 12)} of ${entry.ref.created}: ${v.passed ? 'started' : 'FAILED'} (${v.reason})`);
          return { name, id: entry.id, bytesAdded: 0, verified: v.passed, ...(v.passed ? {} : { error: `restored backup ${entry.id.slice(0, 12)} did not pass: ${v.reason}` }) };
        });
      });
    },

    async close() {
      depsP = undefined; // the store holds no open handles between operations; the next call opens it again
    },
  };
}

function note(out: RetainOutcome, group: string, id: string, keep: boolean, reasons: string[]): void {
  if (keep) out.kept.push({ group, id, reasons });
  else out.removed.push({ group, id });
}

function consistencyOf(c: Consistency, ctx: ActionContext): ConsistencyOptions {
  return { mode: c.mode, ...(c.before ? { execBefore: c.before } : {}), ...(c.after ? { execAfter: c.after } : {}), warn: ctx.log };
}

/** Names first (each must exist: a missing one is an item with an error), then label matches. */
async function localContainers(root: string, sel: ContainerSelection, ctx: ActionContext): Promise<string[]> {
  const all = await new ContainerStore(root).list();
  const names = [...sel.names];
  if (sel.labels.length) for (const c of all.sort((a, b) => a.name.localeCompare(b.name))) if (labelsMatch(c.labels, sel.labels) && !names.includes(c.name)) names.push(c.name);
  if (sel.labels.length && names.length === sel.names.length) ctx.log('the label selector matches no container');
  return names;
}

/** The newest backup of each selected container name (undefined: named, but never backed up). */
async function drillTargets(repo: Repository, sel: ContainerSelection): Promise<Map<string, BackupEntry | undefined>> {
  const { backups } = await listBackups(repo);
  const newest = new Map<string, BackupEntry>();
  for (const b of backups) newest.set(b.ref.container, b); // oldest first: the last one wins
  const out = new Map<string, BackupEntry | undefined>(sel.names.map((n) => [n, newest.get(n)]));
  if (sel.labels.length) {
    for (const [name, entry] of [...newest].sort(([a], [b]) => a.localeCompare(b))) {
      if (out.has(name)) continue;
      const record = await loadBackupRecord(repo, entry);
      if (labelsMatch(record.container.labels, sel.labels)) out.set(name, entry);
    }
  }
  return out;
}

async function withRepository<T>(target: RepositoryTarget, ctx: ActionContext, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const repo = await openRepository(target.url, {
    ...(target.identity ? { identity: target.identity } : {}),
    ...(target.knownHosts ? { knownHosts: target.knownHosts } : {}),
    acceptNewHostKey: !!target.acceptNewHostKey,
    retry: { onRetry: (err, attempt, delay) => ctx.log(`${(err as Error).message}; retrying in ${(delay / 1000).toFixed(1)}s (attempt ${attempt})`) },
  });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

/** How long a step waits for a lock another process holds (a prune, another job's backup) before it fails. */
export const LOCK_WAIT_MS = 30 * 60_000;
const LOCK_POLL_MS = 5000;

/**
 * Runs `fn`, and again while it fails with LockedError (it fails at taking a lock, before doing
 * anything): a backup waits out another job's prune, and retention waits for backups in flight,
 * instead of failing the run. Gives up after LOCK_WAIT_MS, or when the run is cancelled.
 */
async function whenUnlocked<T>(ctx: ActionContext, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let told = false; ; told = true) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof LockedError) || Date.now() + LOCK_POLL_MS > deadline) throw err;
      if (!told) ctx.log(`waiting for a lock: ${err.message}`);
      await sleep(LOCK_POLL_MS, undefined, { signal: ctx.signal }).catch(() => ctx.signal.throwIfAborted());
    }
  }
}

/** Runs `fn` per name in order; an error is that item's (unless the run was cancelled: then it rejects). */
async function eachItem(names: string[], ctx: ActionContext, fn: (name: string) => Promise<ItemOutcome>): Promise<ItemOutcome[]> {
  const out: ItemOutcome[] = [];
  for (const name of names) {
    ctx.signal.throwIfAborted();
    try {
      out.push(await fn(name));
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const e = fromSystemError(err);
      const message = e instanceof Error ? e.message : String(e);
      ctx.log(`${name}: ${message}`);
      out.push({ name, bytesAdded: 0, error: message, ...(e instanceof LifeboatError ? { exitCode: e.exitCode } : {}) });
    }
  }
  return out;
}
