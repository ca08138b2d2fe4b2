/**
 * JobActions: the seam between the scheduler and the operations it runs. The engine and the job
 * runner know only this interface, so tests drive them with a fake (slow, failing, counting) and
 * the real one (ops-job-actions.ts) composes the ops functions.
 *
 * Lifecycle of one backup run, in the runner's order (job-runner.ts):
 *
 *   backup(containers → repository, verify each)  →  snapshot(volumes)  →  retain(policy)
 *
 * and of a drill run: drill(containers from the repository). Every call takes the run's
 * AbortSignal and must stop only at a safe point (between files, before a ref is written, never
 * half-way through a prune's deletes), rejecting with the signal's reason. A partial failure (one
 * container of three) is an item with `error`, not a rejection, so the others still count.
 */
import type { RetentionPolicy } from '../core/retention.js';
import type { Consistency, ContainerSelection, RepositoryTarget } from './job-spec.js';

export interface ActionContext {
  job: string;
  signal: AbortSignal;
  /** A line for the scheduler's log (stderr), prefixed with the job name. */
  log(message: string): void;
}

/** One thing a step produced: a container's backup, a volume's snapshot, a drill's restore. */
export interface ItemOutcome {
  /** The container or volume name. */
  name: string;
  /** Backup ID (repository ref) or snapshot ID; absent when the item failed before it had one. */
  id?: string;
  /** Bytes this item added to where it was written (what was not there before). */
  bytesAdded: number;
  /** Why this item failed; absent on success. */
  error?: string;
  /** The failure's exit status (README's table), when it came with one. */
  exitCode?: number;
  /** A restore verification or drill that ran: whether the container came up. */
  verified?: boolean;
}

export interface BackupRequest {
  containers: ContainerSelection;
  repository: RepositoryTarget;
  consistency: Consistency;
  verify: boolean;
  verifyTimeMs?: number;
}

export interface SnapshotRequest {
  volumes: string[];
  consistency: Consistency;
  /** Where the snapshots go besides the local store (when the operations can send them). */
  repository?: RepositoryTarget;
}

export interface RetainRequest {
  policy: RetentionPolicy;
  /** Backups of these containers in this repository (each container on its own, as restic per host). */
  repository?: RepositoryTarget;
  containers: string[];
  /** Snapshots of these volumes in the local store (each volume on its own). */
  volumes: string[];
}

export interface RetainOutcome {
  /** IDs kept and forgotten, per group (container or volume name). */
  kept: Array<{ group: string; id: string; reasons: string[] }>;
  removed: Array<{ group: string; id: string }>;
  /** Bytes the prune (repository) or garbage collection (store) freed. */
  freedBytes: number;
}

export interface DrillRequest {
  containers: ContainerSelection;
  repository: RepositoryTarget;
  verifyTimeMs?: number;
}

export interface JobActions {
  /** Backs each selected container up to the repository (and boot-verifies each when asked). */
  backup(req: BackupRequest, ctx: ActionContext): Promise<ItemOutcome[]>;
  /** Snapshots each volume, holding its users as `consistency` says. */
  snapshot(req: SnapshotRequest, ctx: ActionContext): Promise<ItemOutcome[]>;
  /** Forgets what the policy does not keep and prunes, under the repository's exclusive lock. */
  retain(req: RetainRequest, ctx: ActionContext): Promise<RetainOutcome>;
  /** Restores the latest backup of each selected container into a sandbox and checks that it starts. */
  drill(req: DrillRequest, ctx: ActionContext): Promise<ItemOutcome[]>;
  /** Releases what the actions hold (store handles); the scheduler calls it once, at exit. */
  close(): Promise<void>;
}
