/**
 * `schedule validate | ls | run-now | history` and `scheduler run`: scheduled backups, retention
 * and restore drills from schedule files (schedules/README.md, schedules/schema.json). Options
 * only; the work is in cli/views/schedule-actions.ts and scheduler-run.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { action, common, group } from '../command.js';

type SA = typeof import('../views/schedule-actions.js');
type SR = typeof import('../views/scheduler-run.js');

const SCHEDULES_HELP = 'schedules directory (default: the `schedules` setting, else <config dir>/schedules)';

const EXIT_HELP = `
Exit status:
  0   success (validate: no errors, warnings allowed)
  2   usage: unknown flag or bad value
  3   no such job
  5   the schedule files have errors (validate reports every one with file:line:column)
  11  run-now: the job is running already (in the scheduler or another run-now)
  and for run-now, the failed run's own status: 8 a verification or drill failed, 10 no repository,
  12 SSH refused, 13 unreachable, 16 timed out, 130 cancelled`;

export function register(program: Command): void {
  const schedule = group(program, 'schedule', 'Check and inspect scheduled jobs: validate, ls, run-now, history');

  common(schedule.command('validate'))
    .description('Check schedule files: every mistake with file, line and field (unknown containers and unreachable repositories are warnings)')
    .argument('[file...]', 'files to check (default: every *.yaml, *.yml, *.json in the schedules directory)')
    .option('--schedules <dir>', SCHEDULES_HELP)
    .option('--offline', 'skip the checks that look at this host and the repositories')
    .addHelpText('after', EXIT_HELP)
    .action(action(async (cli, files: string[], opts: Parameters<SA['validate']>[2]) => (await import('../views/schedule-actions.js')).validate(cli, files, opts)));

  common(schedule.command('ls').alias('list'))
    .description('List jobs: NAME, CRON, NEXT RUN, LAST RUN, LAST RESULT')
    .option('--schedules <dir>', SCHEDULES_HELP)
    .action(action(async (cli, opts: Parameters<SA['listJobs']>[1]) => (await import('../views/schedule-actions.js')).listJobs(cli, opts)));

  common(schedule.command('run-now'))
    .description('Run a job once, now, in the foreground (the same code path and history as the scheduler)')
    .argument('<name>', 'job name')
    .option('--schedules <dir>', SCHEDULES_HELP)
    .addHelpText('after', EXIT_HELP)
    .action(action(async (cli, name: string, opts: Parameters<SA['runNow']>[2]) => (await import('../views/schedule-actions.js')).runNow(cli, name, opts)));

  common(schedule.command('history'))
    .description('Show past runs, newest first: START, DURATION, RESULT, BYTES ADDED, BACKUP ID, ERROR')
    .argument('[name]', 'only this job')
    .option('-n, --last <n>', 'show the last n runs', '20')
    .option('-a, --all', 'show every run')
    .option('--no-trunc', 'show full IDs and errors')
    .action(action(async (cli, name: string | undefined, opts: Parameters<SA['history']>[2]) => (await import('../views/schedule-actions.js')).history(cli, name, opts)));

  const scheduler = group(program, 'scheduler', 'Run the scheduled jobs (foreground, for systemd)');
  common(scheduler.command('run'))
    .description('Run jobs on their cron schedules until SIGTERM/SIGINT (then running jobs get --grace to finish)')
    .option('--schedules <dir>', SCHEDULES_HELP)
    .option('--max-concurrent <n>', 'at most this many jobs at once', '2')
    .option('--metrics-addr <host:port>', 'serve Prometheus /metrics and /healthz here (port 0: any free port)')
    .option('--grace <duration>', 'how long running jobs may take to finish after SIGTERM', '5m')
    .addHelpText('after', '\nExit status:\n  0   stopped by SIGTERM/SIGINT\n  5   the schedule files have errors (nothing started)\n  130 a cancelled job did not stop within a minute')
    .action(action(async (cli, opts: Parameters<SR['schedulerRun']>[1]) => (await import('../views/scheduler-run.js')).schedulerRun(cli, opts)));
}
