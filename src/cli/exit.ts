/**
 * The one place where errors become output and exit statuses. Library code throws LifeboatErrors
 * (core/errors.ts); this turns them into "Error: …" and "Hint: …" lines on stderr (or one JSON
 * object with --json) and the documented exit status. Anything else is a bug: exit 1 with the stack
 * under --debug.
 */
import { CommanderError } from 'commander';
import { ExitCode, LifeboatError, fromSystemError } from '../core/errors.js';

export function reportError(err: unknown, opts: { json: boolean; debug: boolean }): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.OK;
    return ExitCode.USAGE; // commander already printed its message
  }
  const e = fromSystemError(err);
  if (e instanceof LifeboatError) {
    if (opts.json) process.stderr.write(JSON.stringify(e.toJSON()) + '\n');
    else {
      process.stderr.write(`Error: ${e.message}\n`);
      if (e.hint) process.stderr.write(`Hint: ${e.hint}\n`);
      if (opts.debug && e.cause) process.stderr.write(`Cause: ${String((e.cause as Error)?.stack ?? e.cause)}\n`);
    }
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (opts.json) process.stderr.write(JSON.stringify({ error: 'INTERNAL', message, exitCode: ExitCode.FAILURE }) + '\n');
  else {
    process.stderr.write(`Error: ${message}\n`);
    if (opts.debug && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    else process.stderr.write('Hint: this looks like a bug in Lifeboat; run again with --debug for the stack trace\n');
  }
  return ExitCode.FAILURE;
}
