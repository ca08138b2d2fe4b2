/**
 * The STATUS column of `ps`, word for word as Docker prints it: "Created", "Up 3 seconds",
 * "Up 5 seconds (Paused)", "Up 2 minutes (healthy)", "Exited (0) 2 minutes ago",
 * "Restarting (1) 4 seconds ago", "Dead". Pure: the caller reconciles the state first.
 */
import { humanDuration } from '../core/units.js';
import type { ContainerState } from './container-record.js';

function since(iso: string | null, now: number): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? Math.max(0, now - t) : 0;
}

function healthSuffix(state: ContainerState): string {
  switch (state.health?.status) {
    case 'healthy':
      return ' (healthy)';
    case 'unhealthy':
      return ' (unhealthy)';
    case 'starting':
      return ' (health: starting)';
    default:
      return '';
  }
}

export function statusText(state: ContainerState, now = Date.now()): string {
  switch (state.status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${humanDuration(since(state.startedAt, now))}${healthSuffix(state)}`;
    case 'paused':
      return `Up ${humanDuration(since(state.startedAt, now))} (Paused)`;
    case 'restarting':
      return `Restarting (${state.exitCode}) ${humanDuration(since(state.finishedAt, now))} ago`;
    case 'exited':
      return `Exited (${state.exitCode}) ${humanDuration(since(state.finishedAt, now))} ago`;
    case 'dead':
      return 'Dead';
  }
}

/** Docker's State.Status words for `inspect` and `--filter status=`. */
export const STATUS_WORDS = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'] as const;
