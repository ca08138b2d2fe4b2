/**
 * One run of one job, start to result, through JobActions: the steps, the timeout, and what the
 * run amounts to. The engine (scheduler-engine.ts) decides WHEN a run may start; this decides what
 * it does and how it ends.
 *
 *   backup job:  backup containers (verify each) → snapshot volumes → retention + prune
 *   drill job:   restore the latest backup of each container into a sandbox → must start
 *
 * Retention runs only after a fully successful backup (a failing backup must never be the reason
 * older good ones are forgotten); restic's rules always keep the newest, which this run just wrote. The run's signal aborts
 * on the job's timeout (result `timeout`) or on shutdown (`cancelled`); the actions stop at their
 * next safe point, and the runner checks it between steps.
 */
import { CancelledError, ExitCode, LifeboatError, TimeoutError, fromSystemError } from '../core/errors.js';
import type { ActionContext, ItemOutcome, JobActions, RetainOutcome } from './job-actions.js';
import { isEmptySelection, selectionText, type BackupTask, type DrillTask, type JobSpec } from './job-spec.js';
import type { RunResult } from './run-record.js';

export interface RunOutcome {
  result: RunResult;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  bytesAdded: number;
  backupIds: string[];
  items: ItemOutcome[];
  retention?: RetainOutcome;
  error?: string;
  /** For a result other than success: the exit status `schedule run-now` ends with. */
  exitCode?: number;
}

export interface RunJobOptions {
  /** Aborts the run from outside (shutdown); its reason should be a CancelledError. */
  signal?: AbortSignal;
  log?: (message: string) => void;
}

/** Runs `job` once; never rejects (a failure is an outcome). */
export async function runJob(job: JobSpec, actions: JobActions, opts: RunJobOptions = {}): Promise<RunOutcome> {
  const startedAt = new Date();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimeoutError(`job ${job.name} ran longer than its timeout (${formatMs(job.timeoutMs)})`)), job.timeoutMs);
  const onCancel = () => controller.abort(opts.signal?.reason ?? new CancelledError(`job ${job.name} was cancelled`));
  if (opts.signal?.aborted) onCancel();
  else opts.signal?.addEventListener('abort', onCancel, { once: true });
  const ctx: ActionContext = { job: job.name, signal: controller.signal, log: opts.log ?? (() => undefined) };
  const items: ItemOutcome[] = [];
  let retention: RetainOutcome | undefined;
  let result: RunResult = 'success';
  let error: string | undefined;
  let exitCode: number | undefined;
  try {
    if (job.task.kind === 'backup') retention = await backupSteps(job.task, actions, ctx, items);
    else await drillSteps(job.task, actions, ctx, items);
    const failed = items.filter((i) => i.error !== undefined || i.verified === false);
    if (failed.length) {
      result = 'failure';
      error = failed.map((i) => `${i.name}: ${i.error ?? 'did not start'}`).join('; ');
      exitCode = failed[0]!.exitCode ?? (failed[0]!.verified === false ? ExitCode.VERIFY_FAILED : ExitCode.FAILURE);
    }
  } catch (err) {
    const reason = fromSystemError(controller.signal.aborted ? controller.signal.reason : err);
    result = reason instanceof TimeoutError ? 'timeout' : reason instanceof CancelledError ? 'cancelled' : 'failure';
    error = messageOf(reason);
    exitCode = reason instanceof LifeboatError ? reason.exitCode : ExitCode.FAILURE;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCancel);
  }
  const finishedAt = new Date();
  return {
    result,
    startedAt,
    finishedAt,
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    bytesAdded: items.reduce((n, i) => n + i.bytesAdded, 0),
    backupIds: items.flatMap((i) => (i.id !== undefined && i.error === undefined ? [i.id] : [])),
    items,
    ...(retention ? { retention } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
  };
}

async function backupSteps(task: BackupTask, actions: JobActions, ctx: ActionContext, items: ItemOutcome[]): Promise<RetainOutcome | undefined> {
  const backedUp: ItemOutcome[] = [];
  if (!isEmptySelection(task.containers)) {
    const req = { containers: task.containers, repository: task.repository!, consistency: task.consistency, verify: task.verify };
    backedUp.push(...(await actions.backup({ ...req, ...(task.verifyTimeMs !== undefined ? { verifyTimeMs: task.verifyTimeMs } : {}) }, ctx)));
    if (backedUp.length === 0) throw new LifeboatError('NOTHING_TO_BACK_UP', ExitCode.NOT_FOUND, `no container matches ${selectionText(task.containers)}: nothing was backed up`);
    items.push(...backedUp);
  }
  ctx.signal.throwIfAborted();
  if (task.volumes.length) {
    items.push(...(await actions.snapshot({ volumes: task.volumes, consistency: task.consistency, ...(task.repository ? { repository: task.repository } : {}) }, ctx)));
  }
  ctx.signal.throwIfAborted();
  if (!task.retention) return undefined;
  if (items.some((i) => i.error !== undefined || i.verified === false)) {
    ctx.log('retention skipped: this run did not fully succeed, so nothing older is forgotten');
    return undefined;
  }
  const containers = backedUp.map((i) => i.name);
  return actions.retain(
    {
      policy: task.retention,
      ...(task.repository && containers.length ? { repository: task.repository } : {}),
      containers,
      volumes: task.volumes,
    },
    ctx,
  );
}

async function drillSteps(task: DrillTask, actions: JobActions, ctx: ActionContext, items: ItemOutcome[]): Promise<void> {
  const drilled = await actions.drill({ containers: task.containers, repository: task.repository, ...(task.verifyTimeMs !== undefined ? { verifyTimeMs: task.verifyTimeMs } : {}) }, ctx);
  if (drilled.length === 0) throw new LifeboatError('NOTHING_TO_DRILL', ExitCode.NOT_FOUND, `no backup of ${selectionText(task.containers)} in ${task.repository.url}: nothing to drill`);
  items.push(...drilled);
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
