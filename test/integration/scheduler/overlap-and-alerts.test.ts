/**
 * The real scheduler process with a slow and a failing fake plugged in (LIFEBOAT_SCHEDULER_ACTIONS):
 * a run still going when its next cron time comes is not doubled: the fire is skipped, logged,
 * counted in /metrics and written to the history; at most --max-concurrent runs go at once; a run
 * over its timeout is cut and recorded as timed out; a drill whose restored container does not
 * start is a failed run that posts an alert; SIGTERM with a grace period lets a run finish.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunView } from '../../../src/scheduler/run-record.js';
import { lifeboat, lifeboatOk } from '../../helpers/cli.js';
import type { FakeCall, FakeConfig } from '../../helpers/fake-job-actions.js';
import { startScheduler, webhookReceiver } from '../../helpers/scheduler-process.js';
import { tempDir } from '../../helpers/tmp.js';

const FAKE = fileURLToPath(new URL('../../helpers/fake-job-actions.js', import.meta.url));

async function scene(t: Parameters<typeof tempDir>[0], yaml: string[], fake: Omit<FakeConfig, 'calls'>) {
  const dir = await tempDir(t);
  const schedules = join(dir, 'schedules');
  await mkdir(schedules);
  await writeFile(join(schedules, 'jobs.yaml'), ['jobs:', ...yaml, ''].join('\n'));
  const calls = join(dir, 'calls.jsonl');
  const env = { LIFEBOAT_SCHEDULER_ACTIONS: FAKE, LIFEBOAT_FAKE_ACTIONS: JSON.stringify({ ...fake, calls }) };
  const readCalls = async () => (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeCall);
  return { root: join(dir, 'store'), schedules, env, readCalls };
}

/** The most calls in progress at any one moment. */
function peak(calls: FakeCall[]): number {
  const edges = calls.flatMap((c) => [[c.start, 1], [c.end!, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

test('overlaps are skipped and counted, never doubled; at most --max-concurrent at once', async (t) => {
  const job = (name: string) => [`  - name: ${name}`, '    cron: "* * * * * *"', `    volumes: [${name}]`];
  const sc = await scene(t, [...job('slow'), ...job('long'), ...job('quick')], { jobs: { slow: { delayMs: 2500 }, long: { delayMs: 2500 }, quick: { delayMs: 50 } } });
  const s = startScheduler(t, { root: sc.root, schedules: sc.schedules, args: ['--max-concurrent', '2', '--metrics-addr', '127.0.0.1:0'], env: sc.env });
  await s.waitForLine(/scheduler started/);
  const url = await s.metricsUrl();
  await s.waitForLine(/job slow: overlap: skipped the run for .*: the previous run \S+ \(since .*\) is still going/);
  while (s.matching(/job slow: success/).length < 2) await new Promise((r) => setTimeout(r, 100));
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const overlaps = Number(/^lifeboat_job_overlaps_total\{job="slow"\} (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(overlaps >= 2, metrics);
  assert.equal(Number(/^lifeboat_job_running\{job="slow"\} (\d+)$/m.exec(metrics)?.[1]) <= 1, true);
  // a run-now from another process while the scheduler runs the job: refused by the job lock, exit 11.
  // Wait for a run that starts from now on (an earlier "started" line may belong to a finished run).
  const seen = s.matching(/job slow: started/).length;
  while (s.matching(/job slow: started/).length <= seen) await new Promise((r) => setTimeout(r, 20));
  const busy = await lifeboat(['schedule', 'run-now', 'slow', '--schedules', sc.schedules], { root: sc.root, env: sc.env });
  assert.equal(busy.code, 11, busy.stderr);
  assert.match(busy.stderr, /job slow is running already/);
  assert.equal((await s.stop('SIGTERM')).code, 0);

  const calls = await sc.readCalls();
  for (const name of ['slow', 'long', 'quick']) {
    const mine = calls.filter((c) => c.job === name).sort((a, b) => a.start - b.start);
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.start >= mine[i - 1]!.end!, `${name} ran twice at once`);
  }
  assert.equal(peak(calls), 2, 'never more than --max-concurrent 2 at once');
  assert.ok(calls.some((c) => c.job === 'quick'), 'quick got a slot between the slow ones');
  const runs = JSON.parse((await lifeboatOk(['schedule', 'history', 'slow', '--all', '--json'], { root: sc.root })).stdout) as RunView[];
  const skipped = runs.filter((r) => r.result === 'skipped');
  assert.ok(skipped.length >= overlaps, 'every overlap is in the history');
  assert.match(skipped[0]!.error ?? '', /^overlap: the previous run \(\S+\) was still running$/);
  assert.ok(runs.filter((r) => r.result === 'success').length >= 2);
});

test('a failed drill alerts; a run over its timeout is cut; SIGTERM lets a running job finish within the grace period', async (t) => {
  const hook = await webhookReceiver(t);
  const sc = await scene(
    t,
    [
      '  - name: drill',
      '    cron: "*/2 * * * * *"',
      '    drill: { containers: [app, db], repository: /srv/nowhere }',
      `    notify: { webhook: "${hook.url}", on: failure }`,
      '  - name: stuck',
      '    cron: "*/2 * * * * *"',
      '    volumes: [v]',
      '    timeout: 1s',
      `    notify: { webhook: "${hook.url}", on: failure }`,
      '  - name: finisher',
      '    cron: "*/2 * * * * *"',
      '    volumes: [v]',
    ],
    { jobs: { drill: { drillFails: true, delayMs: 100 }, stuck: { delayMs: 60_000 }, finisher: { delayMs: 1500 } } },
  );
  const s = startScheduler(t, { root: sc.root, schedules: sc.schedules, args: ['--grace', '30s'], env: sc.env });
  await s.waitForLine(/job drill: failure/);
  await s.waitForLine(/job stuck: timeout in 1\.\ds/, 10_000);
  while (hook.posts.length < 2) await new Promise((r) => setTimeout(r, 50));
  const drill = hook.posts.find((p) => p.body.job === 'drill')!.body;
  assert.equal(drill.result, 'failure');
  assert.match(String(drill.error), /^app: exited with code 1: sh: \/app\/start: not found; db: exited with code 1/);
  const stuck = hook.posts.find((p) => p.body.job === 'stuck')!.body;
  assert.equal(stuck.result, 'timeout');
  assert.match(String(stuck.error), /ran longer than its timeout \(1s\)/);

  // SIGTERM while finisher runs: it completes (1.5 s) inside the 30 s grace, then the process exits 0
  await s.waitForLine(/job finisher: started/);
  const startedLines = s.matching(/job finisher: started/).length;
  const stopped = await s.stop('SIGTERM');
  assert.equal(stopped.code, 0);
  assert.ok(s.matching(/job finisher: success/).length >= startedLines, 'the running job finished');
  assert.ok(s.lines.some((l) => /waiting up to 30s for \d run\(s\) to finish/.test(l)), s.lines.join('\n'));
  const runs = JSON.parse((await lifeboatOk(['schedule', 'history', '--all', '--json'], { root: sc.root })).stdout) as RunView[];
  assert.ok(runs.filter((r) => r.job === 'finisher').every((r) => r.result === 'success' || r.result === 'skipped'));
  assert.ok(runs.some((r) => r.job === 'stuck' && r.result === 'timeout'));
});
