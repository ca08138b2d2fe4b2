/**
 * `lifeboat scheduler run`: the foreground process systemd keeps alive (schedules/lifeboat-
 * scheduler.service). Start-up, in order:
 *
 *   1. read the run history (a torn last line from a crash is skipped and said)
 *   2. report runs missed while it was down; queue one catch-up run for jobs with catchUp: true
 *   3. metrics (seeded from the history) and, with --metrics-addr, the HTTP endpoint
 *   4. node-cron starts firing; "scheduler started" is logged
 *
 * Then it waits for `stop` (SIGTERM or SIGINT, wired by the CLI): node-cron stops firing, running
 * jobs get the grace period to finish, then are cancelled at their next safe point (a second signal,
 * `hurry`, cuts the grace short), notifications still in flight get a few seconds, and the history
 * records the stop. The repository stays consistent whatever is cut: its writers upload packs, then
 * index, then the ref, so a cut backup leaves no ref and its packs are adopted by the next run.
 *
 * node-cron fires the jobs (CronTriggers): one task per job in its time zone, each fire handed to
 * the engine with the cron time it stands for; the engine decides about overlaps and slots, so
 * node-cron's noOverlap stays off and its callback returns at once. A fire the event loop was too
 * busy to make on time is late, not lost, for up to LATE_TOLERANCE_MS (and less than a period);
 * later than that node-cron reports it missed, and it is logged.
 */
import { hostname } from 'node:os';
import { createTask, type ScheduledTask } from 'node-cron';
import { CronClock } from './cron-clock.js';
import { HistoryLog, readRuns } from './history-log.js';
import type { JobActions } from './job-actions.js';
import { JobMetrics, startMetricsServer, type MetricsServer } from './job-metrics.js';
import type { JobSpec } from './job-spec.js';
import { Notifier } from './notifier.js';
import { lastRuns, lastSuccesses, missedRuns, missedText } from './run-record.js';
import { SchedulerEngine, fileJobLocker } from './scheduler-engine.js';
import { jobLog, type SchedulerLog } from './scheduler-log.js';

export interface SchedulerOptions {
  root: string;
  jobs: JobSpec[];
  actions: JobActions;
  maxConcurrent: number;
  /** How long running jobs may take to finish after a stop signal. */
  graceMs: number;
  metricsAddr?: string;
  log: SchedulerLog;
  /** Aborted on the first SIGTERM/SIGINT. */
  stop: AbortSignal;
  /** Aborted on a second one: cancel running jobs now. */
  hurry?: AbortSignal;
  /** Told the metrics URL once it listens. */
  onMetrics?: (url: string) => void;
}

export interface SchedulerExit {
  cancelled: number;
  abandoned: number;
}

export async function runScheduler(opts: SchedulerOptions): Promise<SchedulerExit> {
  const { log, jobs } = opts;
  const history = new HistoryLog(opts.root);
  const { runs, torn } = await readRuns(history);
  if (torn) log.warn(`run history ${history.path}: skipped ${torn} unreadable line(s) (a write cut by a crash)`);

  const now = Date.now();
  const metrics = new JobMetrics(jobs.map((j) => ({ name: j.name, ...periodOf(j, now) })), now);
  const successes = lastSuccesses(runs);
  for (const [job, r] of lastRuns(runs)) {
    const result = r.result === 'running' || r.result === 'interrupted' || r.result === 'skipped' ? undefined : r.result;
    metrics.seed(job, { ...(successes.has(job) ? { success: successes.get(job)! } : {}), ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}), bytesAdded: r.bytesAdded, ...(result ? { result } : {}) });
  }
  const notifier = new Notifier({ log: (m) => log.warn(m) });
  const engine = new SchedulerEngine(jobs, { actions: opts.actions, maxConcurrent: opts.maxConcurrent, history, metrics, notifier, log, lockJob: fileJobLocker(opts.root) });

  let server: MetricsServer | undefined;
  const triggers = new CronTriggers(jobs, (job, at) => void engine.fire(job, at).catch((err: Error) => log.error(`job ${job}: ${err.message}`)), log);
  try {
    if (opts.metricsAddr !== undefined) {
      server = await startMetricsServer(opts.metricsAddr, metrics);
      log.info(`metrics on ${server.url}/metrics, health on ${server.url}/healthz`, { metrics: server.url });
      opts.onMetrics?.(server.url);
    }
    await history.append({ event: 'scheduler-start', at: new Date(now).toISOString(), host: hostname(), pid: process.pid, jobs: jobs.map((j) => j.name) });
    for (const m of missedRuns(jobs, runs, now)) {
      jobLog(log, m.job).warn(missedText(m), { missed: m.count });
      if (m.catchUp) void engine.fire(m.job, m.last, 'catch-up').catch((err: Error) => log.error(`job ${m.job}: ${err.message}`));
    }
    await triggers.start();
    const next = [...triggers.nextRuns()].map(([job, at]) => `${job} at ${at ? at.toISOString() : 'never'}`);
    log.info(`scheduler started: ${jobs.length} job(s), at most ${opts.maxConcurrent} at once; next: ${next.join(', ') || 'nothing'}`, { pid: process.pid });

    if (!opts.stop.aborted) await new Promise<void>((resolve) => opts.stop.addEventListener('abort', () => resolve(), { once: true }));
    log.info('stopping: no new runs');
  } finally {
    await triggers.stop();
  }
  const grace = opts.hurry?.aborted ? 0 : opts.graceMs;
  const hurried = new Promise<void>((resolve) => opts.hurry?.addEventListener('abort', () => resolve(), { once: true }));
  const exit = await engine.shutdown(grace, 60_000, hurried);
  await notifier.close(5000);
  await server?.close();
  await history.append({ event: 'scheduler-stop', at: new Date().toISOString(), host: hostname(), pid: process.pid });
  await opts.actions.close();
  if (exit.abandoned) log.error(`${exit.abandoned} run(s) did not stop within a minute of being cancelled; exiting anyway (their history shows them as interrupted)`);
  log.info(`scheduler stopped${exit.cancelled ? ` (${exit.cancelled} run(s) cancelled)` : ''}`);
  return exit;
}

function periodOf(job: JobSpec, now: number): { periodMs?: number } {
  const p = new CronClock(job.cron, job.timezone).period(now);
  return p !== undefined ? { periodMs: p } : {};
}

export const LATE_TOLERANCE_MS = 30_000;

export type Fire = (job: string, scheduledFor: Date) => void;

export class CronTriggers {
  private readonly tasks: ScheduledTask[] = [];

  constructor(jobs: readonly JobSpec[], fire: Fire, log: SchedulerLog) {
    const logger = {
      info: () => undefined,
      debug: () => undefined,
      warn: (m: string) => log.warn(`node-cron: ${m}`),
      error: (m: string | Error) => log.error(`node-cron: ${m instanceof Error ? m.message : m}`),
    };
    for (const job of jobs) {
      const task = createTask(job.cron, (ctx) => fire(job.name, ctx.date), {
        name: job.name,
        ...(job.timezone ? { timezone: job.timezone } : {}),
        noOverlap: false,
        missedExecutionTolerance: LATE_TOLERANCE_MS,
        suppressMissedWarning: true,
        logger,
      });
      task.on('execution:missed', (ctx) => log.warn(`job ${job.name}: missed the run for ${ctx.date.toISOString()}: the scheduler was too busy to fire it on time`, { job: job.name }));
      this.tasks.push(task);
    }
  }

  async start(): Promise<void> {
    for (const t of this.tasks) await t.start();
  }

  /** Stops firing; runs in progress are the engine's business. */
  async stop(): Promise<void> {
    for (const t of this.tasks) await t.destroy();
  }

  /** The next fire of each job, as node-cron has it planned. */
  nextRuns(): Map<string, Date | null> {
    return new Map(this.tasks.map((t) => [t.name ?? t.id, t.getNextRun()]));
  }
}
