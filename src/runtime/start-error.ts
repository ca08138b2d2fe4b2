/**
 * A container that could not start, with Docker's exit statuses for `run` and `start`:
 * 125 the runtime (or Lifeboat) failed, 126 the command cannot be executed, 127 the command was
 * not found. These sit outside Lifeboat's own table of exit codes on purpose: scripts written for
 * `docker run` test for exactly these numbers.
 */
import { ExitCode, LifeboatError, type ErrorOptions } from '../core/errors.js';

export type StartExitCode = 125 | 126 | 127;

export class ContainerStartError extends LifeboatError {
  constructor(message: string, readonly startCode: StartExitCode, opts: ErrorOptions = {}) {
    super(startCode === 125 ? 'CONTAINER_START_FAILED' : 'CONTAINER_COMMAND_FAILED', startCode as number as ExitCode, message, opts);
  }
}

/** `run` reports Lifeboat's own failures (no such image, bad flag value, ...) as 125, as docker run does. */
export function asRunFailure(err: unknown): unknown {
  if (err instanceof ContainerStartError || !(err instanceof LifeboatError)) return err;
  return new ContainerStartError(err.message, 125, { ...(err.hint ? { hint: err.hint } : {}), data: { ...err.data, error: err.code }, cause: err });
}
