/**
 * The scheduler's log: one line per event on stderr, for journald (`scheduler run` under systemd)
 * or a terminal. Plain text by default ("2026-01-01T02:30:00.123Z info job nightly-app: started"),
 * one JSON object per line with --json, so log shippers need no parser. Results (`schedule ls`,
 * history) go to stdout; this is only for what happens over time.
 */

export type LogLevel = 'info' | 'warn' | 'error';

export interface SchedulerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLog: SchedulerLog = { info() {}, warn() {}, error() {} };

export function streamLog(opts: { json?: boolean; write?: (line: string) => void } = {}): SchedulerLog {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    const time = new Date().toISOString();
    if (opts.json) write(`${JSON.stringify({ time, level, message, ...fields })}\n`);
    else write(`${time} ${level} ${message}\n`);
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A log whose every line starts with `job NAME: ` and carries the job as a field. */
export function jobLog(log: SchedulerLog, job: string): SchedulerLog {
  return {
    info: (m, f) => log.info(`job ${job}: ${m}`, { job, ...f }),
    warn: (m, f) => log.warn(`job ${job}: ${m}`, { job, ...f }),
    error: (m, f) => log.error(`job ${job}: ${m}`, { job, ...f }),
  };
}
