/**
 * Signal names and numbers the way users type them (`-s KILL`, `-s SIGTERM`, `-s 9`), and the
 * shell convention for exit codes: a process killed by signal n exits with 128 + n.
 */
import { constants } from 'node:os';
import { UsageError } from '../core/errors.js';

const SIGNALS = constants.signals as Record<string, number>;

/** Canonical name (SIGTERM) for a user's spelling; throws UsageError for unknown signals. */
export function parseSignal(input: string): NodeJS.Signals {
  const text = input.trim().toUpperCase();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
    if (!name) throw new UsageError(`invalid signal: ${input}`);
    return name as NodeJS.Signals;
  }
  const name = text.startsWith('SIG') ? text : `SIG${text}`;
  if (!(name in SIGNALS)) throw new UsageError(`invalid signal: ${input}`);
  return name as NodeJS.Signals;
}

export function signalNumber(name: NodeJS.Signals | string): number {
  return SIGNALS[name] ?? 0;
}

/** 128 + n for a signal, the code itself otherwise (what `docker wait` and `docker ps` show). */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | string | null): number {
  if (signal) return 128 + signalNumber(signal);
  return code ?? 0;
}
