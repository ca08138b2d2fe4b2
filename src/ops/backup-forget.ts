/**
 * `forget --repo REPO`: removes backup refs by retention policy (core/retention.ts, restic's rules,
 * the same flags as `volume forget`) or by ID, then with --prune deletes the data no remaining
 * backup needs (backup-prune.ts). The policy applies per container (by name, so the backups of a
 * container restored under the same name continue its history), as restic applies it per host and
 * paths. --dry-run changes nothing and says, for every backup, which rules keep it.
 *
 * Locks: exclusive (as restic's forget), so no backup is half-way through writing its ref and no
 * verify is reading one; --dry-run only takes a shared lock.
 */
import { UsageError } from '../core/errors.js';
import { applyRetention, isEmptyPolicy, type RetentionOptions, type RetentionPolicy } from '../core/retention.js';
import type { Progress } from '../core/progress.js';
import type { PruneOptions } from '../repository/prune.js';
import type { Repository } from '../repository/repository.js';
import { listBackups, resolveBackup, type BackupEntry } from './backup-catalog.js';
import { pruneBackups, type BackupPruneReport } from './backup-prune.js';
import { deleteVerifications } from './verify-record.js';

export interface BackupForgetOptions extends RetentionOptions {
  /** Only this container's backups (name or ID prefix). */
  container?: string;
  /** Only backups with all of these tags are considered. */
  tags?: string[];
  policy?: RetentionPolicy;
  ids?: string[];
  dryRun?: boolean;
  prune?: boolean;
  pruneOptions?: Omit<PruneOptions, 'dryRun' | 'progress'>;
  progress?: Progress;
}

export interface BackupForgetDecision {
  id: string;
  container: string;
  created: string;
  tags: string[];
  keep: boolean;
  reasons: string[];
}

export interface BackupForgetResult {
  decisions: BackupForgetDecision[];
  removed: number;
  dryRun: boolean;
  prune?: BackupPruneReport;
}

/** The decisions, per container; pure apart from reading the refs. */
export function decide(entries: BackupEntry[], policy: RetentionPolicy, named: ReadonlySet<string>, opts: RetentionOptions): BackupForgetDecision[] {
  const groups = new Map<string, BackupEntry[]>();
  for (const e of entries) groups.set(e.ref.container, [...(groups.get(e.ref.container) ?? []), e]);
  const out: BackupForgetDecision[] = [];
  for (const [container, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const items = group.map((e) => ({ e, time: Date.parse(e.ref.created), tags: e.ref.tags }));
    const applied = isEmptyPolicy(policy) ? items.map((item) => ({ item, keep: true, reasons: [] as string[] })) : applyRetention(items, policy, opts);
    for (const d of applied) {
      const byId = named.has(d.item.e.id);
      out.push({ id: d.item.e.id, container, created: d.item.e.ref.created, tags: d.item.e.ref.tags, keep: d.keep && !byId, reasons: byId ? ['named on the command line'] : d.reasons });
    }
  }
  return out;
}

export async function forgetBackups(repo: Repository, opts: BackupForgetOptions): Promise<BackupForgetResult> {
  const policy = opts.policy ?? {};
  const ids = opts.ids ?? [];
  if (isEmptyPolicy(policy) && ids.length === 0) {
    throw new UsageError('no policy given: nothing would be forgotten', { hint: 'give --keep-last N (or another --keep-* option), or backup IDs' });
  }
  return repo.withLock(opts.dryRun ? 'shared' : 'exclusive', async () => {
    const named = new Set<string>();
    for (const id of ids) named.add((await resolveBackup(repo, id)).id);
    const { backups } = await listBackups(repo, { ...(opts.container !== undefined ? { container: opts.container } : {}), ...(opts.tags ? { tags: opts.tags } : {}) });
    const decisions = decide(backups, policy, named, opts);
    for (const id of named) if (!decisions.some((d) => d.id === id)) throw new UsageError(`backup ${id.slice(0, 12)} is not among those selected by --container/--tag`);
    if (opts.dryRun) return { decisions, removed: 0, dryRun: true };
    const gone = decisions.filter((d) => !d.keep);
    for (const d of gone) await repo.deleteRef(d.id);
    const goneIds = new Set(gone.map((d) => d.id));
    await deleteVerifications(repo, (id) => !goneIds.has(id));
    const pruned = opts.prune ? await pruneBackups(repo, { ...opts.pruneOptions, ...(opts.progress ? { progress: opts.progress } : {}) }) : undefined;
    return { decisions, removed: gone.length, dryRun: false, ...(pruned ? { prune: pruned } : {}) };
  });
}
