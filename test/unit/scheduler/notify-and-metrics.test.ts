/**
 * Webhooks: the JSON body, retries with backoff on 5xx and network errors, none on a 4xx, giving
 * up without throwing; `on:` decides when. Metrics: the Prometheus text holds the numbers, the
 * health check fails when a job's last success is older than twice its period, and the HTTP
 * endpoint serves both (503 when unhealthy) on a port the OS picked.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { needs } from '../../helpers/requirements.js';
import { tempDir } from '../../helpers/tmp.js';
import { JobMetrics } from '../../../src/scheduler/job-metrics.js';
import type { RunOutcome } from '../../../src/scheduler/job-runner.js';
import { startMetricsServer, parseListenAddress } from '../../../src/scheduler/job-metrics.js';
import { Notifier, notification, redact, wantsNotification } from '../../../src/scheduler/notifier.js';
import { selfSignedCert, webhookReceiver } from '../../helpers/scheduler-process.js';

const outcome = (result: RunOutcome['result'], at: number, extra: Partial<RunOutcome> = {}): RunOutcome => ({
  result,
  startedAt: new Date(at - 1500),
  finishedAt: new Date(at),
  durationMs: 1500,
  bytesAdded: 2048,
  backupIds: result === 'success' ? ['abc'] : [],
  items: [],
  ...(result === 'success' ? {} : { error: 'boom' }),
  ...extra,
});

test('a failing webhook is retried with backoff until it answers; the body says what happened', async (t) => {
  const hook = await webhookReceiver(t, { failFirst: 2 });
  const logs: string[] = [];
  const n = new Notifier({ baseDelayMs: 20, log: (m) => logs.push(m) });
  await n.notify({ webhooks: [hook.url], on: 'failure' }, notification('nightly', 'run1', 'schedule', outcome('failure', Date.parse('2025-01-01T02:30:01.500Z'))));
  assert.equal(hook.attempts(), 3);
  assert.equal(hook.posts.length, 1);
  const body = hook.posts[0]!.body;
  assert.deepEqual(
    { job: body.job, result: body.result, startedAt: body.startedAt, durationMs: body.durationMs, bytesAdded: body.bytesAdded, backupIds: body.backupIds, error: body.error, run: body.run },
    { job: 'nightly', result: 'failure', startedAt: '2025-01-01T02:30:00.000Z', durationMs: 1500, bytesAdded: 2048, backupIds: [], error: 'boom', run: 'run1' },
  );
  assert.equal(logs.length, 2, 'each retry is logged');
  assert.ok(logs.every((l) => l.includes('http://127.0.0.1:') && !l.includes('/hook')), 'the URL path (where tokens live) stays out of the log');
  await n.close(1000);
});

test('a webhook that is down or refuses is given up on, logged, never thrown', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const logs: string[] = [];
  const n = new Notifier({ baseDelayMs: 5, attempts: 3, log: (m) => logs.push(m) });
  await n.notify({ webhooks: [`http://127.0.0.1:${port}/x`], on: 'always' }, notification('j', 'r', 'manual', outcome('success', Date.now())));
  assert.match(logs.at(-1)!, /giving up on http:\/\/127\.0\.0\.1:\d+\/… for job j after 3 attempt\(s\): ECONNREFUSED/);
  // a 4xx means the request is wrong: no retry
  const refusing = await webhookReceiver(t, { answer: 404 });
  await new Notifier({ baseDelayMs: 5, log: (m) => logs.push(m) }).notify({ webhooks: [refusing.url], on: 'always' }, notification('j', 'r', 'manual', outcome('success', Date.now())));
  assert.match(logs.at(-1)!, /after 1 attempt\(s\): HTTP 404/);
  assert.equal(refusing.attempts(), 1);
  // a redirect is an answer too: not followed (the target never sees the body), not retried
  const target = await webhookReceiver(t);
  const redirecting = await webhookReceiver(t, { answer: 307, location: target.url });
  await new Notifier({ baseDelayMs: 5, log: (m) => logs.push(m) }).notify({ webhooks: [redirecting.url], on: 'always' }, notification('j', 'r', 'manual', outcome('success', Date.now())));
  assert.match(logs.at(-1)!, /after 1 attempt\(s\): HTTP 307/);
  assert.equal(redirecting.attempts(), 1);
  assert.equal(target.attempts(), 0);
});

test('an HTTPS webhook trusts the CAs in NODE_EXTRA_CA_CERTS, read when it is sent', { skip: needs({ commands: ['openssl'] }) }, async (t) => {
  const tls = selfSignedCert(await tempDir(t));
  const hook = await webhookReceiver(t, { tls });
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  t.after(() => (saved === undefined ? delete process.env.NODE_EXTRA_CA_CERTS : (process.env.NODE_EXTRA_CA_CERTS = saved)));
  const logs: string[] = [];
  const send = () => new Notifier({ attempts: 1, log: (m) => logs.push(m) }).notify({ webhooks: [hook.url], on: 'always' }, notification('j', 'r', 'manual', outcome('success', Date.now())));
  delete process.env.NODE_EXTRA_CA_CERTS;
  await send();
  assert.equal(hook.posts.length, 0, 'a certificate nobody vouches for is refused');
  assert.match(logs.at(-1)!, /giving up on https:\/\/127\.0\.0\.1:\d+\/… for job j after 1 attempt\(s\): DEPTH_ZERO_SELF_SIGNED_CERT/);
  process.env.NODE_EXTRA_CA_CERTS = tls.cert; // this process started without it, as under bin/lifeboat
  await send();
  assert.equal(hook.posts.length, 1, logs.join('\n'));
  assert.equal(hook.posts[0]!.body.job, 'j');
});

test('a webhook that accepts but never answers is given up on as timed out', async (t) => {
  const sockets: Array<{ destroy(): void }> = [];
  const silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => (silent.close(() => resolve()), sockets.forEach((s) => s.destroy()))));
  const logs: string[] = [];
  const started = Date.now();
  await new Notifier({ attempts: 1, timeoutMs: 200, log: (m) => logs.push(m) }).notify({ webhooks: [`http://127.0.0.1:${(silent.address() as { port: number }).port}/x`], on: 'always' }, notification('j', 'r', 'manual', outcome('success', Date.now())));
  assert.match(logs.at(-1)!, /after 1 attempt\(s\): timed out$/);
  assert.ok(Date.now() - started < 5000, 'the timeout cut the request');
});

test('a webhook that answered 2xx counts as delivered even if its body then breaks off (no second POST)', async (t) => {
  let connections = 0;
  const abrupt = createServer((socket) => {
    connections++;
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort', () => socket.destroy()));
  });
  await new Promise<void>((resolve) => abrupt.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => abrupt.close(() => resolve())));
  const logs: string[] = [];
  await new Notifier({ baseDelayMs: 5, attempts: 3, log: (m) => logs.push(m) }).notify({ webhooks: [`http://127.0.0.1:${(abrupt.address() as { port: number }).port}/x`], on: 'always' }, notification('j', 'r', 'manual', outcome('success', Date.now())));
  assert.equal(connections, 1, logs.join('\n'));
  assert.deepEqual(logs, []);
});

test('on: failure | success | always', () => {
  const spec = (on: 'failure' | 'success' | 'always') => ({ webhooks: ['http://x/'], on });
  assert.deepEqual((['success', 'failure', 'timeout', 'cancelled'] as const).map((r) => wantsNotification(spec('failure'), r)), [false, true, true, true]);
  assert.deepEqual((['success', 'failure'] as const).map((r) => wantsNotification(spec('success'), r)), [true, false]);
  assert.deepEqual((['success', 'failure'] as const).map((r) => wantsNotification(spec('always'), r)), [true, true]);
  assert.equal(wantsNotification(undefined, 'failure'), false);
  assert.equal(redact('https://hooks.slack.com/services/T0/B0/secret?token=x'), 'https://hooks.slack.com/…');
});

test('metrics: the numbers per job, and health against twice the period', () => {
  const t0 = Date.parse('2025-01-01T00:00:00Z');
  const m = new JobMetrics([{ name: 'fast', periodMs: 2000 }, { name: 'nightly', periodMs: 86_400_000 }], t0);
  m.seed('nightly', { success: t0 - 3600_000, durationMs: 60_000, bytesAdded: 5, result: 'success' });
  m.started('fast');
  m.finished('fast', outcome('success', t0 + 1000));
  m.started('fast');
  m.finished('fast', outcome('failure', t0 + 3000));
  m.overlapped('fast');
  m.started('nightly');
  const text = m.prometheus(t0 + 4000);
  for (const line of [
    'lifeboat_job_last_success_timestamp_seconds{job="fast"} 1735689601',
    'lifeboat_job_last_success_timestamp_seconds{job="nightly"} 1735686000',
    'lifeboat_job_last_duration_seconds{job="fast"} 1.5',
    'lifeboat_job_last_bytes_added{job="fast"} 2048',
    'lifeboat_job_failures_total{job="fast"} 1',
    'lifeboat_job_overlaps_total{job="fast"} 1',
    'lifeboat_job_running{job="nightly"} 1',
    'lifeboat_job_runs_total{job="fast",result="success"} 1',
    'lifeboat_job_healthy{job="fast"} 1',
    '# TYPE lifeboat_job_failures_total counter',
  ]) {
    assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`);
  }
  assert.deepEqual(m.health(t0 + 5000).map((h) => `${h.job} ${h.healthy}`), ['fast true', 'nightly true']);
  assert.deepEqual(m.health(t0 + 5001).map((h) => `${h.job} ${h.healthy}`), ['fast false', 'nightly true'], 'last success 4.001 s ago, period 2 s');
});

test('the metrics endpoint serves /metrics and /healthz (503 when unhealthy) on a port the OS picked', async () => {
  const fresh = new JobMetrics([{ name: 'fast', periodMs: 60_000 }]);
  const server = await startMetricsServer('127.0.0.1:0', fresh);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${server.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
    assert.match(await metrics.text(), /lifeboat_job_failures_total\{job="fast"\} 0/);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/other`)).status, 404);
  } finally {
    await server.close();
  }
  // started 10 s ago, never succeeded, period 1 s: unhealthy; the other job succeeded just now
  const stale = new JobMetrics([{ name: 'fast', periodMs: 1000 }, { name: 'stale', periodMs: 1000 }], Date.now() - 10_000);
  stale.seed('fast', { success: Date.now() });
  const sick = await startMetricsServer('127.0.0.1:0', stale);
  try {
    const r = await fetch(`${sick.url}/healthz`);
    assert.equal(r.status, 503);
    assert.deepEqual(((await r.json()) as { unhealthy: string[] }).unhealthy, ['stale']);
  } finally {
    await sick.close();
  }
  assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
  assert.throws(() => parseListenAddress('9464'), /invalid --metrics-addr/);
});
