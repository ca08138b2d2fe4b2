/**
 * How long operations report progress without knowing who listens. The CLI turns these calls into
 * bars on a TTY (bytes, rate, ETA) or nothing at all (--json, --quiet, a pipe); the scheduler logs
 * them; tests pass `silentProgress`.
 */

export interface ProgressTask {
  /** Set or move the total once it is known. */
  total(bytes: number): void;
  /** Add bytes done since the last call. */
  advance(bytes: number): void;
  /** The task is over; `message` replaces the bar with a final line (e.g. "Loaded image: x"). */
  done(message?: string): void;
}

export interface Progress {
  /** Starts a task labelled like Docker's progress lines ("Loading layer", "Copying blob abc123"). */
  task(label: string, total?: number): ProgressTask;
  /** A line of information for humans (stderr on the CLI). */
  info(message: string): void;
  /** Something worth a warning that does not stop the operation. */
  warn(message: string): void;
}

const noopTask: ProgressTask = { total() {}, advance() {}, done() {} };

export const silentProgress: Progress = {
  task: () => noopTask,
  info() {},
  warn() {},
};
