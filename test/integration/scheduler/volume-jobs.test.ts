/**
 * The real `lifeboat scheduler run` process with real volume-snapshot jobs on second-level cron
 * lines: runs fire on time, every 2 seconds, each for its own cron time; a job that fails posts to
 * a real local webhook (retried after the receiver's first 500) while the other job goes on; its
 * retention (keep-last 2) leaves exactly the two newest snapshots; /metrics and /healthz show the
 * numbers (503 for the job that never succeeds); SIGTERM ends it promptly with exit 0 and a store
 * that `system check` finds clean.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { lifeboat, lifeboatOk } from '../../helpers/cli.js';
import { startScheduler, webhookReceiver } from '../../helpers/scheduler-process.js';
import { tempDir } from '../../helpers/tmp.js';
import type { RunView } from '../../../src/scheduler/run-record.js';

const metric = (text: string, name: string, job: string) => Number(new RegExp(`^${name}\\{job="${job}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

test('volume jobs fire on time, a failing job notifies while the other goes on, retention keeps exactly 2, metrics tell', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'store');
  const schedules = join(dir, 'schedules');
  await mkdir(schedules);
  await lifeboatOk(['volume', 'create', 'data'], { root });
  await writeFile(join(root, 'volumes', 'data', '_data', 'notes.txt'), 'hello\n');
  const hook = await webhookReceiver(t, { failFirst: 1 });
  await writeFile(
    join(schedules, 'jobs.yaml'),
    [
      'jobs:',
      '  - name: snap',
      '    cron: "*/2 * * * * *"',
      '    volumes: [data]',
      '    retention: { keep-last: 2 }',
      `    notify: { webhook: "${hook.url}?from=snap", on: success }`,
      '  - name: broken',
      '    cron: "*/2 * * * * *"',
      '    volumes: [missing]',
      `    notify: { webhook: "${hook.url}", on: failure }`,
      '',
    ].join('\n'),
  );

  const s = startScheduler(t, { root, schedules, args: ['--metrics-addr', '127.0.0.1:0'] });
  await s.waitForLine(/scheduler started: 2 job\(s\)/);
  const startedAt = Date.now();
  const url = await s.metricsUrl();
  await s.waitForLine(/job broken: failure/);
  assert.equal((await fetch(`${url}/healthz`)).status, 200, 'healthy until twice the period has passed');
  // four runs of snap: the retention of the last two has removed two snapshots
  while (s.matching(/job snap: success/).length < 4 || hook.posts.filter((p) => p.body.job === 'broken').length < 2) {
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(Date.now() - startedAt < 20_000, `runs did not come:\n${s.lines.join('\n')}`);
  }
  while (Date.now() - startedAt < 4500) await new Promise((r) => setTimeout(r, 100));

  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.ok(metric(metrics, 'lifeboat_job_failures_total', 'broken') >= 2, metrics);
  assert.equal(metric(metrics, 'lifeboat_job_failures_total', 'snap'), 0);
  assert.ok(metric(metrics, 'lifeboat_job_last_success_timestamp_seconds', 'snap') * 1000 > startedAt);
  assert.ok(metric(metrics, 'lifeboat_job_last_duration_seconds', 'snap') > 0);
  assert.equal(metric(metrics, 'lifeboat_job_period_seconds', 'snap'), 2);
  assert.equal(metric(metrics, 'lifeboat_job_overlaps_total', 'snap'), 0);
  const health = await fetch(`${url}/healthz`);
  assert.equal(health.status, 503, 'broken has not succeeded for over twice its period');
  assert.deepEqual(((await health.json()) as { unhealthy: string[] }).unhealthy, ['broken']);

  const stopped = await s.stop('SIGTERM');
  assert.equal(stopped.code, 0, s.lines.join('\n'));
  assert.ok(stopped.ms < 5000, `stopped in ${stopped.ms} ms`);

  // on time: each run for its own even second, started within 1.5 s of it (a loaded CI), none left out
  const runs = JSON.parse((await lifeboatOk(['schedule', 'history', '--all', '--json'], { root })).stdout) as RunView[];
  const snaps = runs.filter((r) => r.job === 'snap').reverse();
  assert.ok(snaps.length >= 4);
  for (const [i, r] of snaps.entries()) {
    const due = Date.parse(r.scheduledFor!);
    assert.equal(new Date(due).getUTCSeconds() % 2, 0);
    assert.ok(Date.parse(r.startedAt) - due < 1500, `run ${i} started ${Date.parse(r.startedAt) - due} ms late`);
    if (i > 0) assert.equal(due - Date.parse(snaps[i - 1]!.scheduledFor!), 2000, 'no cron time was skipped');
    assert.equal(r.result, 'success');
  }
  const failures = runs.filter((r) => r.job === 'broken');
  assert.ok(failures.every((r) => r.result === 'failure' && /missing: no such volume: missing/.test(r.error ?? '')));

  // the failing job's webhook: retried after the first 500, then one POST per failure with the run's facts
  const posted = hook.posts.filter((p) => p.body.job === 'broken');
  assert.ok(hook.attempts() > hook.posts.length, 'the first POST got a 500 and was retried');
  for (const p of posted) {
    assert.equal(p.path, '/hook');
    assert.equal(p.body.result, 'failure');
    assert.match(String(p.body.error), /no such volume: missing/);
    assert.equal(typeof p.body.durationMs, 'number');
    assert.deepEqual(p.body.backupIds, []);
  }
  assert.ok(hook.posts.some((p) => p.path === '/hook?from=snap' && p.body.result === 'success' && (p.body.backupIds as string[]).length === 1), 'on: success posts too');

  // retention: exactly the two newest snapshots are left, the ones the last two runs wrote
  const left = (await lifeboatOk(['volume', 'snapshots', 'data', '-q', '--no-trunc'], { root })).stdout.trim().split('\n').sort();
  const newest = snaps.slice(-2).flatMap((r) => r.backupIds).sort();
  assert.deepEqual(left, newest);
  const check = await lifeboat(['system', 'check'], { root });
  assert.equal(check.code, 0, check.stdout + check.stderr);

  const ls = (await lifeboatOk(['schedule', 'ls', '--schedules', schedules], { root })).stdout;
  assert.match(ls, /^snap\s+\*\/2 \* \* \* \* \*\s+.*\(in .*\)\s+.*ago\)\s+success$/m);
  assert.match(ls, /^broken\s+.*failure$/m);
});
