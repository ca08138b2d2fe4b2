/**
 * The verdict on a sandboxed container, watched from its start for `verifyTimeMs`:
 *
 *   PASS  still running at the end, and its health check passes when it has one (the runtime's
 *         status when a probe ran, else the check is run once now, with its own timeout)
 *   PASS  exited 0 before the end: a run-to-completion container that did its job
 *   FAIL  exited non-zero or by a signal (with the runtime's error, e.g. "exec: not found"),
 *         reported unhealthy, or its health check fails at the end
 *
 * Polls the runtime's reconciled state (runtime/liveness.ts) every POLL_MS; pure reading, the
 * caller starts and removes the container.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isActive } from '../runtime/container-record.js';
import type { ContainerStore } from '../runtime/container-store.js';
import { execCapture } from '../runtime/exec.js';
import { healthArgs } from '../runtime/health.js';
import { reconcile } from '../runtime/liveness.js';
import { readLogs } from '../runtime/log-reader.js';

const POLL_MS = 200;

export interface Judgement {
  passed: boolean;
  reason: string;
  state: 'running' | 'exited' | 'not started';
  exitCode?: number;
  health?: 'healthy' | 'unhealthy' | 'starting' | 'none';
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;

export async function judge(store: ContainerStore, id: string, verifyTimeMs: number, signal?: AbortSignal): Promise<Judgement> {
  const rec = await store.get(id);
  const deadline = Date.now() + verifyTimeMs;
  const health = rec.healthcheck ? 'starting' : 'none';
  for (;;) {
    signal?.throwIfAborted();
    const state = await reconcile(store, rec);
    if (!isActive(state.status)) {
      const error = state.error ? `: ${state.error}` : '';
      return state.exitCode === 0
        ? { passed: true, reason: 'exited 0 (a run-to-completion container)', state: 'exited', exitCode: 0, health }
        : { passed: false, reason: `exited with code ${state.exitCode}${error}`, state: 'exited', exitCode: state.exitCode, health };
    }
    if (state.health?.status === 'unhealthy') {
      const last = state.health.log.at(-1);
      return { passed: false, reason: `health check failing${last ? ` (exit ${last.exitCode}: ${last.output.trim().slice(-200)})` : ''}`, state: 'running', health: 'unhealthy' };
    }
    if (Date.now() >= deadline) {
      if (!rec.healthcheck) return { passed: true, reason: `still running after ${seconds(verifyTimeMs)}`, state: 'running', health };
      if (state.health?.status === 'healthy') return { passed: true, reason: `running after ${seconds(verifyTimeMs)}, health check passing`, state: 'running', health: 'healthy' };
      const r = await execCapture(rec, state, { args: healthArgs(rec.healthcheck) }, rec.healthcheck.timeoutMs);
      if (r.exitCode === 0 && !r.timedOut) return { passed: true, reason: `running after ${seconds(verifyTimeMs)}, health check passed`, state: 'running', health: 'healthy' };
      const why = r.timedOut ? `timed out after ${seconds(rec.healthcheck.timeoutMs)}` : `exit ${r.exitCode}: ${r.output.trim().slice(-200)}`;
      return { passed: false, reason: `running, but its health check fails (${why})`, state: 'running', health: 'unhealthy' };
    }
    await sleep(POLL_MS);
  }
}

/** The container's last `n` log lines (stdout and stderr, in order). */
export async function lastLogLines(store: ContainerStore, id: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of readLogs(store.paths(id).log, { tail: n })) out.push(line.log.replace(/\n$/, ''));
  return out;
}
