/**
 * Restart policies, Docker's semantics (moby restartmanager), as pure decisions:
 *
 *   no               never
 *   on-failure[:N]   after a non-zero exit, at most N times (0 = no limit)
 *   always           after any exit; at boot (`lifeboat system start`) even if stopped by hand
 *   unless-stopped   after any exit, and at boot, unless stopped by hand
 *
 * A container stopped with stop/kill is not restarted by its supervisor. Restarts back off:
 * 100 ms doubling up to 1 minute, back to 100 ms once a run lasted 10 seconds or more.
 */
import { UsageError } from '../core/errors.js';
import type { RestartPolicy } from './container-record.js';

export function parseRestartPolicy(text: string | undefined): RestartPolicy {
  if (text === undefined || text === '' || text === 'no') return { name: 'no', maxRetries: 0 };
  const [name, count, ...extra] = text.split(':');
  if (extra.length > 0) throw new UsageError(`invalid restart policy "${text}"`);
  if (name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw new UsageError(`maximum retry count cannot be used with restart policy '${name}'`);
    return { name, maxRetries: 0 };
  }
  if (name === 'on-failure') {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid maximum retry count "${count}" in restart policy "${text}"`);
    return { name, maxRetries: n };
  }
  throw new UsageError(`invalid restart policy "${text}" (use no, on-failure[:max-retries], always or unless-stopped)`);
}

export function formatRestartPolicy(p: RestartPolicy): string {
  return p.name === 'on-failure' && p.maxRetries > 0 ? `on-failure:${p.maxRetries}` : p.name;
}

export interface RestartFacts {
  exitCode: number;
  manuallyStopped: boolean;
  /** Restarts already done by the policy since the last manual start. */
  restartCount: number;
}

/** After an exit, while the supervisor runs: restart or not? */
export function shouldRestartAfterExit(p: RestartPolicy, f: RestartFacts): boolean {
  if (f.manuallyStopped) return false;
  switch (p.name) {
    case 'no':
      return false;
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return f.exitCode !== 0 && (p.maxRetries === 0 || f.restartCount < p.maxRetries);
  }
}

/** At boot (`system start`), for a container that has run before and is not running now. */
export function shouldStartAtBoot(p: RestartPolicy, f: RestartFacts): boolean {
  switch (p.name) {
    case 'no':
      return false;
    case 'always':
      return true;
    case 'unless-stopped':
      return !f.manuallyStopped;
    case 'on-failure':
      return !f.manuallyStopped && f.exitCode !== 0 && (p.maxRetries === 0 || f.restartCount < p.maxRetries);
  }
}

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
export const BACKOFF_RESET_AFTER_MS = 10_000;

/** The delay before the next restart, given the previous delay and how long the last run lasted. */
export function nextBackoff(previousMs: number, ranForMs: number): number {
  if (ranForMs >= BACKOFF_RESET_AFTER_MS || previousMs <= 0) return BACKOFF_START_MS;
  return Math.min(previousMs * 2, BACKOFF_MAX_MS);
}
