/**
 * What the run history holds, one JSON object per line: a run's start and its end (two lines, so a
 * run cut by a crash still shows, as "interrupted"), a fire skipped because the job was still
 * running, and the scheduler's own start and stop. `foldRuns` turns the lines into one view per run,
 * the shape `schedule history` prints and the metrics start from.
 *
 * Missed runs (`missedRuns`): every cron time after a job's last recorded fire (a run, or a fire
 * skipped as an overlap, both written with the cron time they stood for) and before now. A job with
 * no history has missed nothing: there is no telling when it was added. A catch-up run stands for
 * the newest missed time.
 */
import { CronClock } from './cron-clock.js';
import type { ItemOutcome, RetainOutcome } from './job-actions.js';
import type { JobSpec } from './job-spec.js';

export type RunResult = 'success' | 'failure' | 'timeout' | 'cancelled';
export type Trigger = 'schedule' | 'catch-up' | 'manual';

export interface RunStartEvent {
  event: 'start';
  run: string;
  job: string;
  trigger: Trigger;
  /** The cron time this run is for (absent for manual runs). */
  scheduledFor?: string;
  startedAt: string;
  host: string;
  pid: number;
}

export interface RunEndEvent {
  event: 'end';
  run: string;
  job: string;
  finishedAt: string;
  durationMs: number;
  result: RunResult;
  bytesAdded: number;
  backupIds: string[];
  error?: string;
  items?: ItemOutcome[];
  retention?: { kept: number; removed: number; freedBytes: number };
}

export interface RunSkipEvent {
  event: 'skip';
  run: string;
  job: string;
  scheduledFor: string;
  at: string;
  reason: 'overlap';
  /** The run still going. */
  runningRun?: string;
}

export interface SchedulerEvent {
  event: 'scheduler-start' | 'scheduler-stop';
  at: string;
  host: string;
  pid: number;
  jobs?: string[];
}

export type HistoryEvent = RunStartEvent | RunEndEvent | RunSkipEvent | SchedulerEvent;

export type RunState = RunResult | 'running' | 'interrupted' | 'skipped';

/** One run as people read it. */
export interface RunView {
  run: string;
  job: string;
  trigger: Trigger;
  scheduledFor?: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  result: RunState;
  bytesAdded: number;
  backupIds: string[];
  error?: string;
  items?: ItemOutcome[];
  retention?: RunEndEvent['retention'];
}

export function retentionSummary(r: RetainOutcome): NonNullable<RunEndEvent['retention']> {
  return { kept: r.kept.length, removed: r.removed.length, freedBytes: r.freedBytes };
}

/**
 * Runs in the order they started. A start without an end is `running` while `alive(host, pid)`
 * says its process is there, `interrupted` otherwise.
 */
export function foldRuns(events: Iterable<HistoryEvent>, alive: (host: string, pid: number) => boolean): RunView[] {
  const runs = new Map<string, RunView>();
  const starts = new Map<string, RunStartEvent>();
  for (const e of events) {
    if (e.event === 'start') {
      starts.set(e.run, e);
      runs.set(e.run, { run: e.run, job: e.job, trigger: e.trigger, ...(e.scheduledFor ? { scheduledFor: e.scheduledFor } : {}), startedAt: e.startedAt, result: 'running', bytesAdded: 0, backupIds: [] });
    } else if (e.event === 'end') {
      const v = runs.get(e.run);
      if (!v) continue; // its start line was torn: nothing to attach it to
      Object.assign(v, {
        finishedAt: e.finishedAt,
        durationMs: e.durationMs,
        result: e.result,
        bytesAdded: e.bytesAdded,
        backupIds: e.backupIds,
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.items ? { items: e.items } : {}),
        ...(e.retention ? { retention: e.retention } : {}),
      });
      starts.delete(e.run);
    } else if (e.event === 'skip') {
      runs.set(e.run, { run: e.run, job: e.job, trigger: 'schedule', scheduledFor: e.scheduledFor, startedAt: e.at, durationMs: 0, result: 'skipped', bytesAdded: 0, backupIds: [], error: `overlap: the previous run${e.runningRun ? ` (${e.runningRun})` : ''} was still running` });
    }
  }
  for (const [run, s] of starts) if (!alive(s.host, s.pid)) runs.get(run)!.result = 'interrupted';
  return [...runs.values()];
}

/** The newest run of each job that got to run (skipped fires left out). */
export function lastRuns(runs: readonly RunView[]): Map<string, RunView> {
  const out = new Map<string, RunView>();
  for (const r of runs) if (r.result !== 'skipped') out.set(r.job, r);
  return out;
}

/** The last time each job fired or was run, for missed-run detection: runs and skipped fires alike. */
export function lastFires(runs: readonly RunView[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of runs) {
    if (r.trigger === 'manual') continue; // a manual run does not stand for a cron time
    const t = Date.parse(r.scheduledFor ?? r.startedAt);
    if (Number.isFinite(t) && t > (out.get(r.job) ?? -Infinity)) out.set(r.job, t);
  }
  return out;
}

/** The newest successful finish of each job. */
export function lastSuccesses(runs: readonly RunView[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of runs) {
    if (r.result !== 'success' || !r.finishedAt) continue;
    const t = Date.parse(r.finishedAt);
    if (t > (out.get(r.job) ?? -Infinity)) out.set(r.job, t);
  }
  return out;
}

export interface MissedRuns {
  job: string;
  /** How many run times were missed (at least; see `more`). */
  count: number;
  more: boolean;
  first: Date;
  last: Date;
  /** The last time the job fired before it. */
  since: Date;
  catchUp: boolean;
}

/** Counting stops here: a seconds-level job down for a week misses "10000 or more". */
export const MISSED_LIMIT = 10_000;

/**
 * Missed runs per job, for jobs that missed any. `graceMs` leaves out a run time so recent that the
 * scheduler starting now will still fire it (node-cron fires on time for the next one).
 */
export function missedRuns(jobs: readonly JobSpec[], runs: readonly RunView[], now = Date.now(), graceMs = 0): MissedRuns[] {
  const fired = lastFires(runs);
  const out: MissedRuns[] = [];
  for (const job of jobs) {
    const since = fired.get(job.name);
    if (since === undefined) continue;
    const clock = new CronClock(job.cron, job.timezone);
    const { times, more } = clock.between(since, now - graceMs, MISSED_LIMIT);
    if (times.length === 0) continue;
    out.push({ job: job.name, count: times.length, more, first: times[0]!, last: times[times.length - 1]!, since: new Date(since), catchUp: job.catchUp });
  }
  return out;
}

export function missedText(m: MissedRuns): string {
  const n = `${m.count}${m.more ? '+' : ''}`;
  const span = m.count === 1 ? `at ${m.first.toISOString()}` : `from ${m.first.toISOString()} to ${m.last.toISOString()}`;
  return `missed ${n} run(s) while the scheduler was down (${span}; last fired ${m.since.toISOString()})${m.catchUp ? ': catching up with one run now' : ''}`;
}
