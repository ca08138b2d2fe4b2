/**
 * The cut-over: the only part of a migration during which the container is down.
 *
 *   1. hold the source (stop, or pause with --cutover pause)                 downtime starts
 *   2. the final backup round: only the delta since the last pre-copy round moves
 *   3. `lifeboat restore BACKUP --from <temp repo> --name ... --start` on the target, over SSH;
 *      with `--staged` when the last pre-copy round's volumes wait there (migrate-move.ts), so
 *      only what changed since is written
 *   4. `lifeboat receive verify NAME --time D` there: the REAL container is judged as `restore
 *      --verify` judges its sandbox (still up after D and healthy, or exited 0)  downtime ends at
 *      the start in 3; the verdict follows D later
 *
 * A source that was not running is restored but neither started nor verified there (starting
 * it would run what its owner had stopped). Every step records what it did in `state`, so the
 * rollback (ops/migrate-rollback.ts) undoes exactly that; a restore or verification cut off by
 * the link counts as "may have happened".
 */
import { VerifyFailedError } from '../core/errors.js';
import type { ContainerControl } from './volume-quiesce.js';
import type { MigratePlan } from './migrate-plan.js';
import type { RemoteLifeboat, RemoteRestore } from './migrate-remote.js';
import type { ContainerVerdict } from './migrate-receive-end.js';
import { holdSource, type CutoverMode, type SourceHold } from './migrate-source.js';
import { backupRound, type RoundReport, type TransferContext } from './migrate-transfer.js';

/** What the migration has done so far: what a rollback has to undo. */
export interface MigrationState {
  hold?: SourceHold;
  /** The restore was asked for (it may have made the container even when its answer was lost). */
  restoreAsked: boolean;
  restored?: RemoteRestore;
}

export interface CutoverOptions {
  mode: CutoverMode;
  verifyTimeMs: number;
  /** The temporary repository as the target sees it (a local path there). */
  repoPath: string;
  control: ContainerControl;
  rounds: number;
  /** The stage directory there, when the last pre-copy round's volumes were staged. */
  staged?: string;
}

export interface CutoverResult {
  final: RoundReport;
  restored: RemoteRestore;
  verdict?: ContainerVerdict;
  /** Source held → container started on the target (ms); and → verdict. */
  downtimeMs: number;
  verifiedAfterMs?: number;
  /** Where the downtime went: stopping (or pausing) the source, the final copy, the restore and start there. */
  phases: { holdMs: number; finalCopyMs: number; restoreMs: number };
}

export async function cutOver(ctx: TransferContext, remote: RemoteLifeboat, plan: MigratePlan, state: MigrationState, opts: CutoverOptions): Promise<CutoverResult> {
  const running = plan.container.state !== 'stopped';
  ctx.progress.info(running ? `Cut-over: ${opts.mode === 'pause' ? 'pausing' : 'stopping'} ${plan.container.name}` : `Cut-over: ${plan.container.name} is not running; it will not be started on the target`);
  state.hold = await holdSource(opts.control, plan.container.id, opts.mode);
  ctx.signal?.throwIfAborted();
  const finalAt = Date.now();
  const final = await backupRound(ctx, opts.rounds + 1, 'final');
  ctx.signal?.throwIfAborted();
  const restoreAt = Date.now();

  ctx.progress.info(`Restoring ${plan.names.container} on ${remote.ssh.target.host}`);
  state.restoreAsked = true;
  const restored = await remote.restore({
    backup: final.backup,
    repo: opts.repoPath,
    name: plan.names.container,
    volumeMap: plan.request.volumeMap,
    publish: plan.request.publish,
    env: plan.request.env,
    start: running,
    ...(opts.staged !== undefined ? { staged: opts.staged } : {}),
  });
  state.restored = restored;
  ctx.signal?.throwIfAborted(); // a Ctrl-C during the restore: it is undone like any failure
  const downtimeMs = Date.now() - state.hold.at;
  const phases = { holdMs: finalAt - state.hold.at, finalCopyMs: restoreAt - finalAt, restoreMs: Date.now() - restoreAt };
  if (!running) return { final, restored, downtimeMs, phases };

  ctx.progress.info(`Started on ${remote.ssh.target.host} ${(downtimeMs / 1000).toFixed(1)}s after the ${opts.mode}; verifying for ${(opts.verifyTimeMs / 1000).toFixed(1)}s`);
  const verdict = await remote.verify(plan.names.container, opts.verifyTimeMs);
  const verifiedAfterMs = Date.now() - state.hold.at;
  if (!verdict.passed) {
    throw new VerifyFailedError(`${plan.names.container} did not pass verification on ${remote.ssh.target.host}: ${verdict.reason}`, {
      hint: 'the migration was rolled back; see the last log lines, fix the container and migrate again',
      data: { verdict },
    });
  }
  return { final, restored, verdict, downtimeMs, verifiedAfterMs, phases };
}
