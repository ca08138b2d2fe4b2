/**
 * `volume forget`: removes snapshot refs by retention policy (core/retention.ts, restic's rules),
 * or by ID, then with --prune collects the blobs no snapshot (or image, or anything else GC knows)
 * needs any more. The policy is applied per volume, as restic applies it per host and paths. With
 * --dry-run nothing changes and every decision comes back with its reasons: which rule keeps each
 * kept snapshot. An empty policy with no IDs is refused, as restic refuses it.
 */
import type { Digest } from '../core/digest.js';
import { NotFoundError, UsageError } from '../core/errors.js';
import { applyRetention, isEmptyPolicy, type RetentionOptions, type RetentionPolicy } from '../core/retention.js';
import type { GcResult } from '../content/gc.js';
import type { LocalContentStore } from '../content/local-store.js';
import { SnapshotRefs } from '../volumes/snapshot-refs.js';
import { collectGarbage } from './gc.js';

export interface ForgetOptions extends RetentionOptions {
  /** Only this volume's snapshots (default: every volume, each on its own). */
  volume?: string;
  policy?: RetentionPolicy;
  /** Snapshots to forget by ID (instead of, or besides, the policy). */
  ids?: string[];
  dryRun?: boolean;
  prune?: boolean;
}

export interface ForgetDecision {
  id: Digest;
  volume: string;
  created: string;
  tags: string[];
  keep: boolean;
  reasons: string[];
}

export interface ForgetResult {
  decisions: ForgetDecision[];
  removed: number;
  dryRun: boolean;
  gc?: GcResult;
}

export async function forgetSnapshots(content: LocalContentStore, opts: ForgetOptions): Promise<ForgetResult> {
  const policy = opts.policy ?? {};
  const ids = opts.ids ?? [];
  if (isEmptyPolicy(policy) && ids.length === 0) {
    throw new UsageError('no policy given: nothing would be forgotten', { hint: 'give --keep-last N (or another --keep-* option), or snapshot IDs' });
  }
  const refs = new SnapshotRefs(content.root);
  const all = await refs.snapshots(content, opts.volume);
  const named = new Set<Digest>();
  for (const id of ids) {
    const snap = await refs.resolve(content, id);
    if (!all.some((s) => s.id === snap.id)) throw new NotFoundError('snapshot', id, { hint: `it belongs to volume ${snap.ref.volume}, not ${opts.volume}` });
    named.add(snap.id);
  }

  const decisions: ForgetDecision[] = [];
  const byVolume = new Map<string, typeof all>();
  for (const s of all) byVolume.set(s.ref.volume, [...(byVolume.get(s.ref.volume) ?? []), s]);
  for (const [volume, snaps] of [...byVolume].sort(([a], [b]) => a.localeCompare(b))) {
    const items = snaps.map((s) => ({ s, time: Date.parse(s.record.created), tags: s.record.tags }));
    const applied = isEmptyPolicy(policy) ? items.map((item) => ({ item, keep: true, reasons: [] as string[] })) : applyRetention(items, policy, opts);
    for (const d of applied) {
      const forgetById = named.has(d.item.s.id);
      decisions.push({
        id: d.item.s.id,
        volume,
        created: d.item.s.record.created,
        tags: d.item.s.record.tags,
        keep: d.keep && !forgetById,
        reasons: forgetById ? ['named on the command line'] : d.reasons,
      });
    }
  }
  const gone = decisions.filter((d) => !d.keep);
  if (opts.dryRun) return { decisions, removed: 0, dryRun: true };
  for (const d of gone) {
    const snap = all.find((s) => s.id === d.id)!;
    await refs.remove(snap.ref);
  }
  const gc = opts.prune ? await collectGarbage(content) : undefined;
  return { decisions, removed: gone.length, dryRun: false, ...(gc ? { gc } : {}) };
}
