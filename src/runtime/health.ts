/**
 * Health checks, run by the supervisor while the container runs: every interval, the test runs
 * inside the container (exec.ts); exit 0 is a pass. Status starts as "starting", becomes "healthy"
 * at the first pass and "unhealthy" after `retries` consecutive failures; failures inside the start
 * period do not count. The last five results are kept, as in Docker's State.Health.Log.
 */
import type { ContainerRecord, ContainerState, HealthLogEntry, HealthSpec, HealthState } from './container-record.js';
import type { ContainerStore } from './container-store.js';
import { execCapture } from './exec.js';

const KEEP = 5;

/** The next health state after one probe (pure). */
export function nextHealth(prev: HealthState, spec: HealthSpec, result: HealthLogEntry, inStartPeriod: boolean): HealthState {
  const log = [...prev.log, result].slice(-KEEP);
  if (result.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (inStartPeriod && prev.status === 'starting') return { ...prev, log };
  const failingStreak = prev.failingStreak + 1;
  return { status: failingStreak >= spec.retries ? 'unhealthy' : prev.status, failingStreak, log };
}

export function healthArgs(spec: HealthSpec): string[] {
  return spec.test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', spec.test.slice(1).join(' ')] : spec.test.slice(1);
}

export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(private readonly store: ContainerStore, private readonly rec: ContainerRecord, private readonly spec: HealthSpec) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.probe().finally(() => this.schedule()), this.spec.intervalMs);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    let state: ContainerState = await this.store.readState(this.rec.id);
    if (state.status !== 'running') return; // paused or stopping: no probe, no verdict
    const start = new Date().toISOString();
    let entry: HealthLogEntry;
    try {
      const r = await execCapture(this.rec, state, { args: healthArgs(this.spec) }, this.spec.timeoutMs);
      entry = { start, end: new Date().toISOString(), exitCode: r.timedOut ? -1 : r.exitCode, output: r.timedOut ? `Health check exceeded timeout (${this.spec.timeoutMs / 1000}s)` : r.output };
    } catch (err) {
      entry = { start, end: new Date().toISOString(), exitCode: -1, output: (err as Error).message };
    }
    if (this.stopped) return;
    const inStartPeriod = Date.now() - this.startedAt < this.spec.startPeriodMs;
    await this.store.updateState(this.rec.id, (s) => {
      if (s.status !== 'running') return false;
      s.health = nextHealth(s.health ?? { status: 'starting', failingStreak: 0, log: [] }, this.spec, entry, inStartPeriod);
    });
  }
}
