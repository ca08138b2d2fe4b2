/**
 * How schedules, runs and schedule-file issues look on a terminal: `schedule ls` rows (NAME, CRON,
 * NEXT RUN, LAST RUN, LAST RESULT), `schedule history` rows (START, JOB, DURATION, RESULT, BYTES
 * ADDED, BACKUP ID, ERROR), and the validate summary. Pure formatting; JSON output uses the
 * objects as they are.
 */
import { ago, humanDuration, humanSize } from '../../core/units.js';
import { CronClock } from '../../scheduler/cron-clock.js';
import type { JobSpec } from '../../scheduler/job-spec.js';
import type { RunView } from '../../scheduler/run-record.js';
import { formatIssue, type ScheduleIssue } from '../../scheduler/schedule-source.js';
import { truncate } from '../output.js';

export interface JobRow {
  name: string;
  kind: 'backup' | 'drill';
  cron: string;
  timezone?: string;
  nextRun: string | null;
  lastRun: string | null;
  lastResult: string | null;
  lastError?: string;
  file: string;
}

export function jobRow(job: JobSpec, last: RunView | undefined, now = Date.now()): JobRow {
  const next = new CronClock(job.cron, job.timezone).next(now);
  return {
    name: job.name,
    kind: job.task.kind,
    cron: job.cron,
    ...(job.timezone ? { timezone: job.timezone } : {}),
    nextRun: next ? next.toISOString() : null,
    lastRun: last ? last.startedAt : null,
    lastResult: last ? last.result : null,
    ...(last?.error ? { lastError: last.error } : {}),
    file: job.source.file,
  };
}

/** "2026-11-23 02:30:00 (in 17 hours)", in the machine's local time. */
export function whenText(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (t > now) return `${local} (in ${humanDuration(t - now).toLowerCase()})`;
  return `${local} (${ago(t, now).toLowerCase()})`;
}

export const JOB_COLUMNS: Array<[string, (r: JobRow) => string]> = [
  ['NAME', (r) => r.name],
  ['CRON', (r) => `${r.cron}${r.timezone ? ` ${r.timezone}` : ''}`],
  ['NEXT RUN', (r) => whenText(r.nextRun)],
  ['LAST RUN', (r) => whenText(r.lastRun)],
  ['LAST RESULT', (r) => r.lastResult ?? '-'],
];

export function durationText(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function historyColumns(withJob: boolean, full: boolean): Array<[string, (r: RunView) => string]> {
  return [
    ['START', (r) => whenText(r.startedAt)],
    ...(withJob ? ([['JOB', (r: RunView) => r.job]] as Array<[string, (r: RunView) => string]>) : []),
    ['DURATION', (r) => durationText(r.durationMs)],
    ['RESULT', (r) => (r.trigger === 'schedule' ? r.result : `${r.result} (${r.trigger})`)],
    ['BYTES ADDED', (r) => (r.result === 'skipped' ? '-' : humanSize(r.bytesAdded))],
    ['BACKUP ID', (r) => (r.backupIds.length ? r.backupIds.map((id) => (full ? id : id.replace(/^sha256:/, '').slice(0, 12))).join(',') : '-')],
    ['ERROR', (r) => (r.error ? (full ? r.error : truncate(r.error.replace(/\s+/g, ' '), 60)) : '')],
  ];
}

/** The issues, one per line, and a summary: "2 files, 3 jobs: 1 error, 2 warnings". */
export function validateText(files: string[], jobs: number, issues: ScheduleIssue[]): string {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const summary = `${plural(files.length, 'file')}, ${plural(jobs, 'valid job')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  return [...issues.map(formatIssue), summary, ''].join('\n');
}
