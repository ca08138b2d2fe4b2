/**
 * `scheduler run`: the foreground daemon's wiring. Loads the schedules (any error: refuse to start,
 * exit 5), picks the JobActions, turns SIGTERM/SIGINT into a graceful stop (a second one cancels
 * running jobs at once) and runs scheduler/scheduler-daemon.ts until stopped. Exit 0 after an orderly
 * stop, also when running jobs were cancelled at a safe point (the history says so); 130 only when
 * a run did not stop within a minute of its cancellation.
 *
 * JobActions: the real ones (scheduler/ops-job-actions.ts) unless LIFEBOAT_SCHEDULER_ACTIONS names
 * an ES module exporting `createJobActions(root)`: the seam tests use to run the real scheduler
 * process with slow or failing jobs, and a hook for actions Lifeboat does not ship.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { ExitCode, InvalidInputError, UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/units.js';
import type { JobActions } from '../../scheduler/job-actions.js';
import { formatIssue, hasErrors } from '../../scheduler/schedule-source.js';
import { loadSchedules } from '../../scheduler/schedule-load.js';
import { streamLog } from '../../scheduler/scheduler-log.js';
import type { Cli } from '../command.js';
import { configDir, readSettings } from '../settings.js';

export interface SchedulerRunFlags {
  schedules?: string;
  maxConcurrent?: string;
  metricsAddr?: string;
  grace?: string;
}

/** --schedules DIR, else the `schedules` setting, else <config dir>/schedules. */
export function schedulesDir(flag: string | undefined): string {
  return resolve(flag ?? readSettings().schedules ?? join(configDir(), 'schedules'));
}

interface ActionsModule {
  createJobActions(root: string): JobActions | Promise<JobActions>;
}

export async function loadJobActions(root: string): Promise<JobActions> {
  const custom = process.env.LIFEBOAT_SCHEDULER_ACTIONS;
  if (custom) {
    // require(), not import(): the bundle is CommonJS and turns every import() into a require of
    // its own; Node >= 20.19 requires an ES module too (one without top-level await).
    const file = resolve(custom);
    const mod = createRequire(file)(file) as Partial<ActionsModule>;
    if (typeof mod.createJobActions !== 'function') throw new UsageError(`LIFEBOAT_SCHEDULER_ACTIONS=${custom} does not export createJobActions(root)`);
    return mod.createJobActions(root);
  }
  const { opsJobActions } = await import('../../scheduler/ops-job-actions.js');
  return opsJobActions(root);
}

function positiveInt(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number of at least 1, got "${text}"`);
  return n;
}

export async function schedulerRun(cli: Cli, flags: SchedulerRunFlags): Promise<void> {
  const log = streamLog({ json: cli.json });
  const maxConcurrent = positiveInt(flags.maxConcurrent, 2, '--max-concurrent');
  const graceMs = flags.grace === undefined ? 5 * 60_000 : parseDuration(flags.grace);
  const dir = schedulesDir(flags.schedules);
  const loaded = await loadSchedules({ dir });
  for (const i of loaded.issues) (i.severity === 'error' ? log.error : log.warn)(formatIssue(i));
  if (hasErrors(loaded.issues)) {
    throw new InvalidInputError(`not starting: the schedule files in ${dir} have errors`, { code: 'INVALID_SCHEDULE', hint: 'run `lifeboat schedule validate` and fix them' });
  }
  log.info(`schedules: ${dir} (${loaded.files.length} file(s), ${loaded.jobs.length} job(s)); store: ${cli.root}`);
  const { runScheduler } = await import('../../scheduler/scheduler-daemon.js');
  const actions = await loadJobActions(cli.root);
  const stop = new AbortController();
  const hurry = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      log.info(`${sig}: stopping (send it again to cancel running jobs now)`);
      stop.abort();
    } else if (!hurry.signal.aborted) {
      log.warn(`${sig} again: cancelling running jobs at their next safe point`);
      hurry.abort();
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const exit = await runScheduler({
      root: cli.root,
      jobs: loaded.jobs,
      actions,
      maxConcurrent,
      graceMs,
      ...(flags.metricsAddr !== undefined ? { metricsAddr: flags.metricsAddr } : {}),
      log,
      stop: stop.signal,
      hurry: hurry.signal,
    });
    // A run that ignored its cancellation would keep the process alive: the CLI (never library code) ends it.
    if (exit.abandoned) process.exit(ExitCode.CANCELLED);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
