/**
 * Per-job numbers for Prometheus and the health check. Seeded from the run history at start-up (so
 * "last success" survives a restart; counters start at 0, as Prometheus counters do after a
 * restart), then updated by the engine as runs start, end and overlap.
 *
 * Health: a job is unhealthy when its last success is older than twice its period (the longest gap
 * between its next runs, so a weekdays-only job is not alarmed on Mondays). A job that has never
 * succeeded counts from when the scheduler started, so a fresh install is healthy for two periods.
 *
 * Served by `startMetricsServer` (`--metrics-addr HOST:PORT`, port 0 picks one and the bound
 * address is returned): GET /metrics in Prometheus text format; GET /healthz 200 {"status":"ok"}, or
 * 503 naming the unhealthy jobs. Read-only; it binds where it is told (keep it on loopback).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConflictError, UsageError } from '../core/errors.js';
import type { RunOutcome } from './job-runner.js';
import type { RunResult } from './run-record.js';

export interface JobNumbers {
  lastSuccess?: number;
  lastDurationMs?: number;
  lastBytesAdded?: number;
  lastResult?: RunResult;
  runs: Record<RunResult, number>;
  failures: number;
  overlaps: number;
  running: number;
  /** Longest gap between runs, ms; undefined for a cron line that never fires again. */
  periodMs?: number;
}

export interface HealthEntry {
  job: string;
  healthy: boolean;
  lastSuccess?: string;
  /** How old the last success (or the scheduler's start, before any) may get. */
  maxAgeMs?: number;
  ageMs: number;
}

export class JobMetrics {
  private readonly jobs = new Map<string, JobNumbers>();
  readonly startedAt: number;

  constructor(names: Iterable<{ name: string; periodMs?: number }>, now = Date.now()) {
    this.startedAt = now;
    for (const j of names) {
      this.jobs.set(j.name, { runs: { success: 0, failure: 0, timeout: 0, cancelled: 0 }, failures: 0, overlaps: 0, running: 0, ...(j.periodMs !== undefined ? { periodMs: j.periodMs } : {}) });
    }
  }

  /** Last success, duration and bytes of earlier runs (from the history). */
  seed(job: string, last: { success?: number; durationMs?: number; bytesAdded?: number; result?: RunResult }): void {
    const j = this.jobs.get(job);
    if (!j) return;
    if (last.success !== undefined) j.lastSuccess = last.success;
    if (last.durationMs !== undefined) j.lastDurationMs = last.durationMs;
    if (last.bytesAdded !== undefined) j.lastBytesAdded = last.bytesAdded;
    if (last.result !== undefined) j.lastResult = last.result;
  }

  started(job: string): void {
    const j = this.jobs.get(job);
    if (j) j.running++;
  }

  finished(job: string, o: RunOutcome): void {
    const j = this.jobs.get(job);
    if (!j) return;
    j.running = Math.max(0, j.running - 1);
    j.runs[o.result]++;
    j.lastResult = o.result;
    j.lastDurationMs = o.durationMs;
    j.lastBytesAdded = o.bytesAdded;
    if (o.result === 'success') j.lastSuccess = o.finishedAt.getTime();
    else j.failures++;
  }

  overlapped(job: string): void {
    const j = this.jobs.get(job);
    if (j) j.overlaps++;
  }

  get(job: string): JobNumbers | undefined {
    return this.jobs.get(job);
  }

  names(): string[] {
    return [...this.jobs.keys()];
  }

  health(now = Date.now()): HealthEntry[] {
    return this.names().map((job) => {
      const j = this.jobs.get(job)!;
      const since = j.lastSuccess ?? this.startedAt;
      const ageMs = Math.max(0, now - since);
      const maxAgeMs = j.periodMs !== undefined ? 2 * j.periodMs : undefined;
      return {
        job,
        healthy: maxAgeMs === undefined || ageMs <= maxAgeMs,
        ...(j.lastSuccess !== undefined ? { lastSuccess: new Date(j.lastSuccess).toISOString() } : {}),
        ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
        ageMs,
      };
    });
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  prometheus(now = Date.now()): string {
    const healthy = new Map(this.health(now).map((h) => [h.job, h.healthy ? 1 : 0]));
    const lines: string[] = [];
    const family = (name: string, type: 'gauge' | 'counter', help: string, value: (j: JobNumbers, job: string) => number | undefined) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [job, j] of this.jobs) {
        const v = value(j, job);
        if (v !== undefined) lines.push(`${name}{job="${escapeLabel(job)}"} ${v}`);
      }
    };
    family('lifeboat_job_last_success_timestamp_seconds', 'gauge', 'Unix time of the last successful run.', (j) => (j.lastSuccess !== undefined ? j.lastSuccess / 1000 : undefined));
    family('lifeboat_job_last_duration_seconds', 'gauge', 'How long the last run took.', (j) => (j.lastDurationMs !== undefined ? j.lastDurationMs / 1000 : undefined));
    family('lifeboat_job_last_bytes_added', 'gauge', 'Bytes the last run added to its repository or store.', (j) => j.lastBytesAdded);
    family('lifeboat_job_failures_total', 'counter', 'Runs that failed, timed out or were cancelled since the scheduler started.', (j) => j.failures);
    family('lifeboat_job_overlaps_total', 'counter', 'Fires skipped because the previous run was still going.', (j) => j.overlaps);
    family('lifeboat_job_running', 'gauge', 'Runs of the job in progress (0 or 1).', (j) => j.running);
    family('lifeboat_job_period_seconds', 'gauge', 'Longest gap between the next runs (health allows twice this).', (j) => (j.periodMs !== undefined ? j.periodMs / 1000 : undefined));
    family('lifeboat_job_healthy', 'gauge', '1 when the last success is within twice the period.', (_j, job) => healthy.get(job));
    lines.push('# HELP lifeboat_job_runs_total Runs since the scheduler started, by result.', '# TYPE lifeboat_job_runs_total counter');
    for (const [job, j] of this.jobs) for (const r of RESULTS) lines.push(`lifeboat_job_runs_total{job="${escapeLabel(job)}",result="${r}"} ${j.runs[r]}`);
    lines.push('# HELP lifeboat_scheduler_start_timestamp_seconds When the scheduler started.', '# TYPE lifeboat_scheduler_start_timestamp_seconds gauge', `lifeboat_scheduler_start_timestamp_seconds ${this.startedAt / 1000}`);
    return `${lines.join('\n')}\n`;
  }
}

const RESULTS = ['success', 'failure', 'timeout', 'cancelled'] as const;

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export interface MetricsServer {
  /** http://host:port of the bound socket. */
  url: string;
  close(): Promise<void>;
}

/** "127.0.0.1:9464", "[::1]:0", "localhost:9464" → host and port. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`invalid --metrics-addr "${text}"`, { hint: 'give HOST:PORT, e.g. 127.0.0.1:9464 (port 0 picks a free one)' });
  return { host: m[1] ?? m[2]!, port };
}

export async function startMetricsServer(address: string, metrics: JobMetrics): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(address);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.prometheus());
    } else if (path === '/healthz') {
      const jobs = metrics.health();
      const bad = jobs.filter((j) => !j.healthy);
      const body = JSON.stringify({ status: bad.length ? 'unhealthy' : 'ok', ...(bad.length ? { unhealthy: bad.map((j) => j.job) } : {}), jobs });
      res.writeHead(bad.length ? 503 : 200, { 'content-type': 'application/json' }).end(`${body}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new ConflictError(`cannot serve metrics on ${address}: the address is in use`, { hint: 'choose another port (0 picks a free one)' }) : err),
    );
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${shown}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
