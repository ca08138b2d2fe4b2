/**
 * The engine with a fake JobActions: a fire while the job runs is an overlap (skipped, counted,
 * written to the history, never queued); at most N runs at once overall; a run over its timeout
 * is cut at a safe point and recorded as timed out; shutdown lets runs finish within the grace
 * period, cancels the rest at a safe point, and drops the queued; retention only after success.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { HistoryLog, readRuns } from '../../../src/scheduler/history-log.js';
import { JobMetrics } from '../../../src/scheduler/job-metrics.js';
import type { JobSpec } from '../../../src/scheduler/job-spec.js';
import { SchedulerEngine } from '../../../src/scheduler/scheduler-engine.js';
import { FakeJobActions, type FakeConfig } from '../../helpers/fake-job-actions.js';
import { volumeJob } from '../../helpers/scheduler-process.js';
import { tempDir } from '../../helpers/tmp.js';

async function setup(t: Parameters<typeof tempDir>[0], jobs: JobSpec[], config: FakeConfig, maxConcurrent = 4) {
  const root = await tempDir(t);
  const actions = new FakeJobActions(config);
  const history = new HistoryLog(root);
  const metrics = new JobMetrics(jobs.map((j) => ({ name: j.name, periodMs: 1000 })));
  const engine = new SchedulerEngine(jobs, { actions, maxConcurrent, history, metrics });
  return { actions, history, metrics, engine };
}

test('a fire while the job runs is an overlap: skipped, counted, in the history, never queued', async (t) => {
  const { actions, history, metrics, engine } = await setup(t, [volumeJob('slow')], { jobs: { slow: { delayMs: 300 } } });
  const first = engine.fire('slow', new Date('2025-01-01T00:00:00Z'));
  await sleep(50);
  const second = await engine.fire('slow', new Date('2025-01-01T00:00:01Z'));
  const third = await engine.fire('slow', new Date('2025-01-01T00:00:02Z'));
  assert.equal(second.kind, 'skipped');
  assert.equal(third.kind, 'skipped');
  const done = await first;
  assert.equal(done.kind === 'ran' && done.outcome.result, 'success');
  assert.equal(actions.calls.filter((c) => c.action === 'snapshot').length, 1, 'the skipped fires never ran');
  assert.equal(metrics.get('slow')?.overlaps, 2);
  const { runs } = await readRuns(history);
  assert.deepEqual(runs.map((r) => `${r.scheduledFor} ${r.result}`), ['2025-01-01T00:00:00.000Z success', '2025-01-01T00:00:01.000Z skipped', '2025-01-01T00:00:02.000Z skipped']);
  // once it is over, the job runs again
  const again = await engine.fire('slow', new Date('2025-01-01T00:00:03Z'));
  assert.equal(again.kind, 'ran');
});

test('at most maxConcurrent runs at once; the others wait for a slot, first come first served', async (t) => {
  const jobs = ['a', 'b', 'c', 'd', 'e'].map((n) => volumeJob(n));
  const { actions, engine } = await setup(t, jobs, { jobs: Object.fromEntries(jobs.map((j) => [j.name, { delayMs: 120 }])) }, 2);
  const results = await Promise.all(jobs.map((j) => engine.fire(j.name, new Date())));
  assert.deepEqual(results.map((r) => r.kind), ['ran', 'ran', 'ran', 'ran', 'ran']);
  assert.equal(actions.maxActive, 2);
  const starts = actions.calls.map((c) => c.job);
  assert.deepEqual(starts, ['a', 'b', 'c', 'd', 'e'], 'served in order');
  // a job waiting for a slot is busy: a second fire of it is an overlap too
  const slow = await setup(t, [volumeJob('x'), volumeJob('y')], { jobs: { x: { delayMs: 200 }, y: { delayMs: 50 } } }, 1);
  const x = slow.engine.fire('x', new Date());
  const y = slow.engine.fire('y', new Date());
  await sleep(30);
  assert.deepEqual(slow.engine.busyJobs().sort(), ['x', 'y']);
  assert.equal((await slow.engine.fire('y', new Date())).kind, 'skipped');
  await Promise.all([x, y]);
});

test('a run over its timeout stops at a safe point and is recorded as timed out', async (t) => {
  const { history, metrics, engine } = await setup(t, [volumeJob('stuck', { timeoutMs: 150 })], { jobs: { stuck: { delayMs: 5000 } } });
  const started = Date.now();
  const r = await engine.fire('stuck', new Date());
  assert.ok(Date.now() - started < 1000, 'cut soon after the timeout');
  assert.ok(r.kind === 'ran');
  assert.equal(r.outcome.result, 'timeout');
  assert.equal(r.outcome.exitCode, 16);
  assert.match(r.outcome.error ?? '', /ran longer than its timeout \(150ms\)/);
  assert.equal(metrics.get('stuck')?.failures, 1);
  assert.equal((await readRuns(history)).runs[0]?.result, 'timeout');
});

test('shutdown: runs finish within the grace period; past it they are cancelled at a safe point; queued ones never start', async (t) => {
  const jobs = [volumeJob('quick'), volumeJob('long'), volumeJob('queued')];
  const { actions, history, engine } = await setup(t, jobs, { jobs: { quick: { delayMs: 100 }, long: { delayMs: 10_000 }, queued: { delayMs: 10 } } }, 2);
  const quick = engine.fire('quick', new Date());
  const long = engine.fire('long', new Date());
  const queued = engine.fire('queued', new Date());
  await sleep(30);
  const exit = await engine.shutdown(1000);
  assert.deepEqual(exit, { cancelled: 1, abandoned: 0 });
  const q = await quick;
  assert.ok(q.kind === 'ran');
  assert.equal(q.outcome.result, 'success');
  const l = await long;
  assert.ok(l.kind === 'ran');
  assert.equal(l.outcome.result, 'cancelled');
  assert.equal(l.outcome.exitCode, 130);
  assert.deepEqual(await queued, { kind: 'skipped', run: (await queued).run, reason: 'shutdown' });
  assert.ok(!actions.calls.some((c) => c.job === 'queued'), 'a queued run never started');
  assert.equal((await engine.fire('quick', new Date())).kind, 'skipped', 'nothing starts after shutdown');
  const results = (await readRuns(history)).runs.map((r) => `${r.job} ${r.result}`).sort();
  assert.deepEqual(results, ['long cancelled', 'quick success']);
});

test('retention runs after a successful backup only; a failing item fails the run with its exit status', async (t) => {
  const withRetention = (name: string): JobSpec => {
    const j = volumeJob(name);
    if (j.task.kind === 'backup') j.task.retention = { last: 2 };
    return j;
  };
  const { actions, engine } = await setup(t, [withRetention('good'), withRetention('bad')], { jobs: { good: { bytes: 4096 }, bad: { fail: 'no route to host' } } });
  const good = await engine.fire('good', new Date());
  const bad = await engine.fire('bad', new Date());
  assert.ok(good.kind === 'ran' && bad.kind === 'ran');
  assert.equal(good.outcome.result, 'success');
  assert.equal(good.outcome.bytesAdded, 4096);
  assert.equal(good.outcome.retention?.kept.length, 1);
  assert.equal(bad.outcome.result, 'failure');
  assert.equal(bad.outcome.error, 'bad-data: no route to host');
  assert.equal(bad.outcome.exitCode, 13);
  assert.deepEqual(actions.calls.map((c) => `${c.job}:${c.action}`), ['good:snapshot', 'good:retain', 'bad:snapshot']);
});

test('a drill whose restored container does not start fails the run (exit 8)', async (t) => {
  const drill: JobSpec = { ...volumeJob('drill'), task: { kind: 'drill', containers: { names: ['app', 'db'], labels: [] }, repository: { url: '/r' } } };
  const { engine } = await setup(t, [drill], { jobs: { drill: { drillFails: true } } });
  const r = await engine.fire('drill', new Date());
  assert.ok(r.kind === 'ran');
  assert.equal(r.outcome.result, 'failure');
  assert.equal(r.outcome.exitCode, 8);
  assert.match(r.outcome.error ?? '', /^app: exited with code 1.*; db: exited with code 1/);
});

test('shutdown counts only runs in progress, not an overlap still writing its history line', async (t) => {
  const { engine, history } = await setup(t, [volumeJob('slow')], { jobs: { slow: { delayMs: 400 } } });
  const append = history.append.bind(history);
  history.append = async (e) => {
    if (e.event === 'skip') await sleep(300); // a slow disk: the overlap's fdatasync takes a while
    return append(e);
  };
  const run = engine.fire('slow', new Date('2025-01-01T00:00:00Z'));
  await sleep(50);
  const overlap = engine.fire('slow', new Date('2025-01-01T00:00:01Z'));
  await sleep(20);
  const exit = await engine.shutdown(0);
  assert.equal(exit.cancelled, 1, 'one run was cancelled; the overlap was never a run');
  assert.equal((await overlap).kind, 'skipped');
  await run;
});
