/**
 * When runs may start, and how they stop. Cron (scheduler-daemon.ts), catch-up and `schedule run-now`
 * all come through `fire()`, so every run takes the same path into the same history.
 *
 * - Never two runs of one job: a fire while the job is queued or running is an OVERLAP: logged,
 *   counted, written to the history as skipped, and dropped (never queued: a backup that is late
 *   already should not be followed by a second one), also across processes (below).
 * - At most `maxConcurrent` runs at once: a fire beyond that waits for a slot, first come first
 *   served, and counts as busy while it waits.
 * - `shutdown(grace)`: no new runs; queued ones are dropped; running ones get `grace` to finish,
 *   then their signal aborts and they stop at their next safe point (result `cancelled`).
 *
 * Across processes, the job lock (`fileJobLocker`): `scheduler run` and a `schedule run-now` in
 * another terminal take the same flock, `<root>/scheduler/locks/<job>.lock`, without waiting; the
 * kernel drops it when its holder dies, so a crashed run never blocks the next.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CancelledError, LockedError, NotFoundError } from '../core/errors.js';
import { FileLock } from '../platform/file-lock.js';
import { schedulerPaths, type HistoryLog } from './history-log.js';
import type { JobActions } from './job-actions.js';
import type { JobMetrics } from './job-metrics.js';
import { runJob, type RunOutcome } from './job-runner.js';
import type { JobSpec } from './job-spec.js';
import { notification, type Notifier } from './notifier.js';
import type { Trigger } from './run-record.js';
import { jobLog, silentLog, type SchedulerLog } from './scheduler-log.js';

export interface EngineOptions {
  actions: JobActions;
  maxConcurrent: number;
  history?: HistoryLog;
  metrics?: JobMetrics;
  notifier?: Notifier;
  log?: SchedulerLog;
  lockJob?: JobLocker;
}

export type FireResult =
  | { kind: 'ran'; run: string; outcome: RunOutcome }
  | { kind: 'skipped'; run: string; reason: 'overlap' | 'shutdown' };

export class SchedulerEngine {
  private readonly jobs = new Map<string, JobSpec>();
  private readonly busy = new Map<string, { run: string; since: Date }>();
  private readonly waiting: Array<(go: boolean) => void> = [];
  private readonly runs = new Set<Promise<FireResult>>();
  private readonly cancel = new AbortController();
  private active = 0;
  private stopping = false;
  private readonly log: SchedulerLog;

  constructor(jobs: readonly JobSpec[], private readonly opts: EngineOptions) {
    for (const j of jobs) this.jobs.set(j.name, j);
    this.log = opts.log ?? silentLog;
    if (!Number.isInteger(opts.maxConcurrent) || opts.maxConcurrent < 1) throw new RangeError('maxConcurrent must be a positive integer');
  }

  /** Names of the jobs that are queued or running now. */
  busyJobs(): string[] {
    return [...this.busy.keys()];
  }

  get running(): number {
    return this.active;
  }

  /** Starts a run of `name` for `scheduledFor` unless the job is busy; resolves when it is over. */
  fire(name: string, scheduledFor: Date | undefined, trigger: Trigger = 'schedule'): Promise<FireResult> {
    const job = this.jobs.get(name);
    if (!job) return Promise.reject(new NotFoundError('job', name, { hint: 'list jobs with: lifeboat schedule ls' }));
    const p = this.attempt(job, scheduledFor, trigger);
    this.runs.add(p);
    void p.finally(() => this.runs.delete(p));
    return p;
  }

  private async attempt(job: JobSpec, scheduledFor: Date | undefined, trigger: Trigger): Promise<FireResult> {
    const run = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const log = jobLog(this.log, job.name);
    if (this.stopping) return { kind: 'skipped', run, reason: 'shutdown' };
    const current = this.busy.get(job.name);
    if (current) return this.overlap(job, run, trigger, scheduledFor, current.run, `the previous run ${current.run} (since ${current.since.toISOString()}) is still going`);
    this.busy.set(job.name, { run, since: new Date() });
    try {
      if (!(await this.slot())) {
        log.warn('not started: the scheduler is shutting down');
        return { kind: 'skipped', run, reason: 'shutdown' };
      }
      try {
        const release = await (this.opts.lockJob ?? noJobLocker)(job.name);
        if (!release) return this.overlap(job, run, trigger, scheduledFor, undefined, 'another Lifeboat process is running it');
        try {
          return { kind: 'ran', run, outcome: await this.execute(job, run, scheduledFor, trigger) };
        } finally {
          await release();
        }
      } finally {
        this.freeSlot();
      }
    } finally {
      this.busy.delete(job.name);
    }
  }

  private async execute(job: JobSpec, run: string, scheduledFor: Date | undefined, trigger: Trigger): Promise<RunOutcome> {
    const log = jobLog(this.log, job.name);
    const startedAt = new Date();
    await this.record({ event: 'start', run, job: job.name, trigger, ...(scheduledFor ? { scheduledFor: scheduledFor.toISOString() } : {}), startedAt: startedAt.toISOString(), host: hostname(), pid: process.pid });
    this.opts.metrics?.started(job.name);
    log.info(`started (run ${run}, ${trigger}${scheduledFor ? ` for ${scheduledFor.toISOString()}` : ''})`, { run, trigger });
    const outcome = await runJob(job, this.opts.actions, { signal: this.cancel.signal, log: (m) => log.info(m, { run }) });
    this.opts.metrics?.finished(job.name, outcome);
    const { result, durationMs, bytesAdded, backupIds, error } = outcome;
    await this.record({
      event: 'end',
      run,
      job: job.name,
      finishedAt: outcome.finishedAt.toISOString(),
      durationMs,
      result,
      bytesAdded,
      backupIds,
      ...(error !== undefined ? { error } : {}),
      items: outcome.items,
      ...(outcome.retention ? { retention: { kept: outcome.retention.kept.length, removed: outcome.retention.removed.length, freedBytes: outcome.retention.freedBytes } } : {}),
    });
    const summary = `${result} in ${(durationMs / 1000).toFixed(1)}s, ${bytesAdded} bytes added${backupIds.length ? `, ids ${backupIds.join(' ')}` : ''}`;
    if (result === 'success') log.info(summary, { run, result, durationMs, bytesAdded });
    else log.error(`${summary}: ${error ?? ''}`, { run, result, durationMs, error });
    void this.opts.notifier?.notify(job.notify, notification(job.name, run, trigger, outcome));
    return outcome;
  }

  /** A fire of a busy job: logged, counted and, for a cron time, written down (a refused run-now is told to its user). */
  private async overlap(job: JobSpec, run: string, trigger: Trigger, scheduledFor: Date | undefined, runningRun: string | undefined, why: string): Promise<FireResult> {
    this.opts.metrics?.overlapped(job.name);
    jobLog(this.log, job.name).warn(`overlap: skipped the run${scheduledFor ? ` for ${scheduledFor.toISOString()}` : ''}: ${why}`, { overlap: true });
    if (trigger !== 'manual' && scheduledFor) {
      await this.record({ event: 'skip', run, job: job.name, scheduledFor: scheduledFor.toISOString(), at: new Date().toISOString(), reason: 'overlap', ...(runningRun ? { runningRun } : {}) });
    }
    return { kind: 'skipped', run, reason: 'overlap' };
  }

  private async record(e: Parameters<HistoryLog['append']>[0]): Promise<void> {
    try {
      await this.opts.history?.append(e);
    } catch (err) {
      this.log.error(`could not write the run history: ${(err as Error).message}`);
    }
  }

  /** Waits for a run slot; false when the scheduler stops first. */
  private slot(): Promise<boolean> {
    if (this.active < this.opts.maxConcurrent) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private freeSlot(): void {
    const next = this.waiting.shift();
    if (next) next(true); // the slot passes on
    else this.active--;
  }

  /**
   * Stops starting runs, lets the running ones finish for `graceMs` (or until `hurry` resolves),
   * then cancels them and waits (at most `cancelWaitMs`) for them to reach a safe point.
   * Resolves with how many were cancelled, and how many did not stop even then.
   */
  async shutdown(graceMs: number, cancelWaitMs = 60_000, hurry?: Promise<void>): Promise<{ cancelled: number; abandoned: number }> {
    this.stopping = true;
    for (const w of this.waiting.splice(0)) w(false);
    const all = () => Promise.allSettled([...this.runs]);
    if (this.runs.size === 0) return { cancelled: 0, abandoned: 0 };
    this.log.info(`waiting up to ${(graceMs / 1000).toFixed(0)}s for ${this.busy.size} run(s) to finish: ${this.busyJobs().join(', ')}`);
    const finished = await Promise.race([all().then(() => true), idle(graceMs).then(() => false), ...(hurry ? [hurry.then(() => false)] : [])]);
    if (finished) return { cancelled: 0, abandoned: 0 };
    // Count the runs that are executing (busy), not every pending fire(): an overlap that was just
    // skipped may still be writing its history line, and it is no run to cancel.
    const cancelled = this.busy.size;
    this.log.warn(`grace period over: cancelling ${cancelled} run(s) at their next safe point: ${this.busyJobs().join(', ')}`);
    this.cancel.abort(new CancelledError('the scheduler is shutting down'));
    const settled = await Promise.race([all().then(() => true), idle(cancelWaitMs).then(() => false)]);
    return { cancelled, abandoned: settled ? 0 : this.busy.size };
  }
}

/** A timer that does not keep the process alive once everything else is done. */
function idle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export type JobLocker = (job: string) => Promise<(() => Promise<void>) | undefined>;

/** Takes the job's lock; undefined when another process holds it. */
export function fileJobLocker(root: string): JobLocker {
  const dir = schedulerPaths(root).locks;
  return async (job) => {
    try {
      const lock = await FileLock.acquire(join(dir, `${job}.lock`), { exclusive: true, timeoutMs: 0, what: `job ${job}` });
      return () => lock.release();
    } catch (err) {
      if (err instanceof LockedError) return undefined;
      throw err;
    }
  };
}

/** For a single process (tests): the engine's own bookkeeping is enough. */
export const noJobLocker: JobLocker = async () => async () => undefined;
