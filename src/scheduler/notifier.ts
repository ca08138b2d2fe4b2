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
 *
 * Sent with node:http/https rather than fetch: Node 20's fetch takes no CA option, and HTTPS
 * webhooks must trust NODE_EXTRA_CA_CERTS, which bin/lifeboat keeps out of Node's start-up
 * (platform/tls-trust.ts). A redirect is an answer like a 4xx: not followed, not retried. Both
 * (and node:tls) load at the first notification, not with the module: `schedule ls` and
 * `validate` import this file and send nothing.
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
      const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 10_000);
      try {
        const status = await postJson(url, body, AbortSignal.any([this.stop.signal, timeout]));
        if (status >= 200 && status < 300) return;
        why = `HTTP ${status}`;
        retry = status >= 500 || status === 429;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        why = timeout.aborted ? 'timed out' : (e.code ?? e.message);
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

/**
 * POSTs `body` as JSON; resolves with the answer's status as soon as it arrives (a delivered
 * notification is not sent again because its answer's body broke off), then drains the body.
 */
async function postJson(url: string, body: string, signal: AbortSignal): Promise<number> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error(`not an http(s) URL: ${target.protocol}`);
  const tls = target.protocol === 'https:' ? (await import('../platform/tls-trust.js')).tlsTrust() : undefined;
  const send = tls ? (await import('node:https')).request : (await import('node:http')).request;
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'lifeboat-scheduler' };
    const req = send(target, { method: 'POST', headers, signal, ...tls }, (res) => {
      resolve(res.statusCode ?? 0);
      res.on('error', () => undefined).resume();
    });
    req.on('error', reject).end(body);
  });
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
