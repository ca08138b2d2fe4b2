/**
 * Webhook notifications: after a run, as the job's `notify.on` says (failure, success or always),
 * a JSON POST to each webhook:
 *
 *   {"job":"nightly-app","result":"failure","startedAt":"…","durationMs":1234,"bytesAdded":0,
 *    "backupIds":[],"error":"app: …","trigger":"schedule","run":"…","host":"…"}
 *
 * Each webhook on its own: up to `attempts` tries, backing off (1 s, 2 s, 4 s, … capped) after a
 * network error, a timeout or a 5xx/429 answer; a 4xx other than 429 is not retried (the request
 * itself is wrong). Failure to notify is logged, never thrown: a webhook that is down must not turn
 * a good backup into a failed one, nor stop the scheduler.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NotifySpec } from './job-spec.js';
import type { RunResult, Trigger } from './run-record.js';

export interface Notification {
  job: string;
  result: RunResult;
  startedAt: string;
  durationMs: number;
  bytesAdded: number;
  backupIds: string[];
  error?: string;
  trigger: Trigger;
  run: string;
  host: string;
}

export interface NotifierOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per request. */
  timeoutMs?: number;
  log?: (message: string) => void;
}

export function wantsNotification(spec: NotifySpec | undefined, result: RunResult): boolean {
  if (!spec || spec.webhooks.length === 0) return false;
  if (spec.on === 'always') return true;
  return spec.on === 'success' ? result === 'success' : result !== 'success';
}

export function notification(job: string, run: string, trigger: Trigger, o: { result: RunResult; startedAt: Date; durationMs: number; bytesAdded: number; backupIds: string[]; error?: string }): Notification {
  return {
    job,
    result: o.result,
    startedAt: o.startedAt.toISOString(),
    durationMs: o.durationMs,
    bytesAdded: o.bytesAdded,
    backupIds: o.backupIds,
    ...(o.error !== undefined ? { error: o.error } : {}),
    trigger,
    run,
    host: hostname(),
  };
}

export class Notifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly stop = new AbortController();

  constructor(private readonly opts: NotifierOptions = {}) {}

  /** Posts to every webhook of `spec` when the result calls for it; resolves when all are done or given up. */
  notify(spec: NotifySpec | undefined, n: Notification): Promise<void> {
    if (!wantsNotification(spec, n.result)) return Promise.resolve();
    const body = JSON.stringify(n);
    const all = Promise.all(spec!.webhooks.map((url) => this.post(url, body, n.job))).then(() => undefined);
    this.pending.add(all);
    void all.finally(() => this.pending.delete(all));
    return all;
  }

  /** Waits for notifications still being sent, at most `ms`, then gives up on the rest (logged). */
  async close(ms: number): Promise<void> {
    if (this.pending.size > 0) {
      await Promise.race([Promise.all([...this.pending]), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
    }
    this.stop.abort();
    await Promise.all([...this.pending]);
  }

  private async post(url: string, body: string, job: string): Promise<void> {
    const attempts = this.opts.attempts ?? 5;
    const log = this.opts.log ?? (() => undefined);
    let delay = this.opts.baseDelayMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      let why: string;
      let retry = true;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'lifeboat-scheduler' },
          body,
          signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 10_000)]),
          redirect: 'error',
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        why = `HTTP ${res.status}`;
        retry = res.status >= 500 || res.status === 429;
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        why = e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.cause?.message ?? e.message);
      }
      if (!retry || attempt >= attempts || this.stop.signal.aborted) {
        log(`notify: giving up on ${redact(url)} for job ${job} after ${attempt} attempt(s): ${why}`);
        return;
      }
      log(`notify: ${redact(url)} for job ${job} failed (${why}); retrying in ${(delay / 1000).toFixed(1)}s`);
      await sleep(delay, undefined, { signal: this.stop.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, this.opts.maxDelayMs ?? 30_000);
    }
  }
}

/** A webhook URL for logs: scheme and host only (tokens live in paths and queries: Slack, Discord, …). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 || u.search ? '/…' : '/'}`;
  } catch {
    return '(invalid URL)';
  }
}
