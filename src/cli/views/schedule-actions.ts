/**
 * The work behind `schedule validate | ls | run-now | history`, loaded only when one of them runs.
 * The schedules directory is `--schedules DIR`, else the `schedules` setting, else
 * `<config dir>/schedules`; the run history is in the store root (`<root>/scheduler/`).
 *
 * `run-now` goes through the same engine as `scheduler run` (one run, same history, same
 * notifications, the same job lock, so it never runs beside the scheduler's run of the job), in the
 * foreground: log lines on stderr, the result on stdout, the run's exit status (Ctrl-C cancels it
 * at its next safe point: 130).
 */
import { resolve } from 'node:path';
import { ExitCode, InvalidInputError, LifeboatError, NotFoundError } from '../../core/errors.js';
import { humanSize } from '../../core/units.js';
import { HistoryLog, readRuns } from '../../scheduler/history-log.js';
import { fileJobLocker } from '../../scheduler/scheduler-engine.js';
import { Notifier } from '../../scheduler/notifier.js';
import { lastRuns } from '../../scheduler/run-record.js';
import { SchedulerEngine } from '../../scheduler/scheduler-engine.js';
import { formatIssue, hasErrors } from '../../scheduler/schedule-source.js';
import { loadSchedules } from '../../scheduler/schedule-load.js';
import { streamLog } from '../../scheduler/scheduler-log.js';
import type { Cli } from '../command.js';
import { loadJobActions, schedulesDir } from './scheduler-run.js';
import { JOB_COLUMNS, durationText, historyColumns, jobRow, validateText } from './schedule-rows.js';

export interface SchedulesFlag {
  schedules?: string;
}

export async function validate(cli: Cli, files: string[], opts: SchedulesFlag & { offline?: boolean }): Promise<void> {
  const dir = schedulesDir(opts.schedules);
  const loaded = await loadSchedules({ dir, files: files.map((f) => resolve(f)) });
  const issues = [...loaded.issues];
  if (opts.offline !== true) {
    const { probeJobs } = await import('../../scheduler/schedule-probe.js');
    issues.push(...(await probeJobs(loaded.jobs, { root: cli.root })));
  }
  const { sortIssues } = await import('../../scheduler/schedule-source.js');
  const sorted = sortIssues(issues);
  cli.print({ files: loaded.files, jobs: loaded.jobs.map((j) => j.name), issues: sorted }, () => validateText(loaded.files, loaded.jobs.length, sorted));
  const errors = sorted.filter((i) => i.severity === 'error').length;
  if (errors) throw new InvalidInputError(`${errors} error(s) in the schedule files`, { code: 'INVALID_SCHEDULE', hint: 'fix the lines above; `lifeboat schedule validate` checks again' });
}

/** The valid jobs; warns about issues on stderr, refuses on errors unless `lenient`. */
async function jobsOf(dir: string, lenient: boolean) {
  const loaded = await loadSchedules({ dir });
  for (const i of loaded.issues) if (i.severity === 'error' || !lenient) process.stderr.write(`${formatIssue(i)}\n`);
  if (!lenient && hasErrors(loaded.issues)) {
    throw new InvalidInputError(`the schedule files in ${dir} have errors`, { code: 'INVALID_SCHEDULE', hint: 'run `lifeboat schedule validate` for the full report' });
  }
  return loaded;
}

export async function listJobs(cli: Cli, opts: SchedulesFlag): Promise<void> {
  const loaded = await jobsOf(schedulesDir(opts.schedules), true);
  const last = lastRuns((await readRuns(new HistoryLog(cli.root))).runs);
  const rows = loaded.jobs.map((j) => jobRow(j, last.get(j.name)));
  cli.table(rows, JOB_COLUMNS, (r) => r);
}

export async function runNow(cli: Cli, name: string, opts: SchedulesFlag): Promise<void> {
  const dir = schedulesDir(opts.schedules);
  const loaded = await jobsOf(dir, true);
  const job = loaded.jobs.find((j) => j.name === name);
  if (!job) {
    const broken = loaded.issues.some((i) => i.job === name && i.severity === 'error');
    if (broken) throw new InvalidInputError(`job ${name} has errors and cannot run`, { code: 'INVALID_SCHEDULE', hint: `run: lifeboat schedule validate` });
    throw new NotFoundError('job', name, { hint: `jobs are read from ${dir}; list them with: lifeboat schedule ls` });
  }
  const log = streamLog({ json: cli.json });
  const notifier = new Notifier({ log: (m) => log.warn(m) });
  const actions = await loadJobActions(cli.root);
  const engine = new SchedulerEngine([job], { actions, maxConcurrent: 1, history: new HistoryLog(cli.root), notifier, log, lockJob: fileJobLocker(cli.root) });
  const cancel = () => void engine.shutdown(0);
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    const r = await engine.fire(name, undefined, 'manual');
    if (r.kind === 'skipped') throw new LifeboatError('JOB_BUSY', ExitCode.LOCKED, `job ${name} is running already (in the scheduler or another run-now)`, { hint: 'wait for that run to finish; see: lifeboat schedule history' });
    const o = r.outcome;
    cli.print({ job: name, run: r.run, ...o, startedAt: o.startedAt.toISOString(), finishedAt: o.finishedAt.toISOString() }, () =>
      [`${name}: ${o.result} in ${durationText(o.durationMs)}, ${humanSize(o.bytesAdded)} added`, ...o.backupIds.map((id) => `  ${id}`), ...(o.error ? [`  error: ${o.error}`] : []), ''].join('\n'),
    );
    if (o.result !== 'success') process.exitCode = o.exitCode ?? ExitCode.FAILURE;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    await notifier.close(30_000);
    await actions.close();
  }
}

export async function history(cli: Cli, name: string | undefined, opts: { last?: string; all?: boolean; trunc?: boolean }): Promise<void> {
  const { runs, torn } = await readRuns(new HistoryLog(cli.root));
  if (torn) process.stderr.write(`WARNING: skipped ${torn} unreadable line(s) in the run history (a write cut by a crash)\n`);
  const mine = runs.filter((r) => name === undefined || r.job === name).reverse();
  const limit = opts.all ? Infinity : Number.parseInt(opts.last ?? '20', 10);
  const shown = mine.slice(0, Number.isFinite(limit) && limit > 0 ? limit : 20);
  cli.table(shown, historyColumns(name === undefined, opts.trunc === false), (r) => r);
}
