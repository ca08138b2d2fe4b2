/**
 * The run history survives crashes (a torn last line is skipped and never glued to the next
 * line; a run whose process died shows as interrupted), and missed runs are computed from it and
 * the cron line: reported at start-up, and run once, as a catch-up, for jobs with catchUp: true.
 */
import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { HistoryLog, readRuns } from '../../../src/scheduler/history-log.js';
import { missedRuns, missedText } from '../../../src/scheduler/run-record.js';
import { foldRuns, type HistoryEvent } from '../../../src/scheduler/run-record.js';
import { runScheduler } from '../../../src/scheduler/scheduler-daemon.js';
import { silentLog, type SchedulerLog } from '../../../src/scheduler/scheduler-log.js';
import { FakeJobActions } from '../../helpers/fake-job-actions.js';
import { volumeJob } from '../../helpers/scheduler-process.js';
import { tempDir } from '../../helpers/tmp.js';

const start = (run: string, job: string, scheduledFor: string, pid = process.pid): HistoryEvent => ({ event: 'start', run, job, trigger: 'schedule', scheduledFor, startedAt: scheduledFor, host: 'h', pid });
const end = (run: string, job: string, finishedAt: string): HistoryEvent => ({ event: 'end', run, job, finishedAt, durationMs: 5, result: 'success', bytesAdded: 10, backupIds: ['x'] });

test('a torn last line is skipped, and the next append starts on a line of its own', async (t) => {
  const log = new HistoryLog(await tempDir(t));
  await log.append(start('r1', 'a', '2025-01-01T00:00:00.000Z'));
  await log.append(end('r1', 'a', '2025-01-01T00:00:01.000Z'));
  await appendFile(log.path, '{"event":"start","run":"r2","jo'); // the crash
  await log.append(start('r3', 'a', '2025-01-01T00:01:00.000Z'));
  const { events, torn } = await log.read();
  assert.equal(torn, 1);
  assert.deepEqual(events.map((e) => (e as { run: string }).run), ['r1', 'r1', 'r3']);
  const text = await readFile(log.path, 'utf8');
  assert.ok(text.endsWith('\n') && text.split('\n').length === 5, 'four lines and the final newline');
});

test('a run without its end: running while its process lives, interrupted after', () => {
  const events = [start('r1', 'a', '2025-01-01T00:00:00.000Z', 111), start('r2', 'b', '2025-01-01T00:00:00.000Z', 222), end('orphan', 'c', '2025-01-01T00:00:00.000Z')];
  const runs = foldRuns(events, (_host, pid) => pid === 111);
  assert.deepEqual(runs.map((r) => `${r.run} ${r.result}`), ['r1 running', 'r2 interrupted']);
});

test('missed runs: every cron time after the last fire, up to now; manual runs do not count', () => {
  const job = volumeJob('every2s', { cron: '*/2 * * * * *', timezone: 'UTC', catchUp: true });
  const hourly = volumeJob('hourly', { cron: '0 0 * * * *', timezone: 'UTC' });
  const fresh = volumeJob('fresh', { cron: '* * * * * *' });
  const events: HistoryEvent[] = [
    start('r1', 'every2s', '2025-01-01T00:00:00.000Z'),
    end('r1', 'every2s', '2025-01-01T00:00:00.500Z'),
    { event: 'skip', run: 'r2', job: 'every2s', scheduledFor: '2025-01-01T00:00:02.000Z', at: '2025-01-01T00:00:02.000Z', reason: 'overlap' },
    start('r3', 'hourly', '2025-01-01T00:00:00.000Z'),
    { ...start('r4', 'hourly', '2025-01-01T02:30:00.000Z'), trigger: 'manual', scheduledFor: undefined } as HistoryEvent,
  ];
  const runs = foldRuns(events, () => false);
  const now = Date.parse('2025-01-01T00:00:10.900Z');
  const m = missedRuns([job, hourly, fresh], runs, now);
  assert.equal(m.length, 1, 'hourly missed nothing yet; a job with no history missed nothing');
  assert.deepEqual({ ...m[0], first: m[0]!.first.toISOString(), last: m[0]!.last.toISOString(), since: m[0]!.since.toISOString() }, {
    job: 'every2s', count: 4, more: false, first: '2025-01-01T00:00:04.000Z', last: '2025-01-01T00:00:10.000Z', since: '2025-01-01T00:00:02.000Z', catchUp: true,
  });
  assert.match(missedText(m[0]!), /missed 4 run\(s\) while the scheduler was down .*: catching up with one run now/);
  const later = missedRuns([hourly], runs, Date.parse('2025-01-01T05:00:01Z'));
  assert.equal(later[0]?.count, 5, '01:00 to 05:00; the manual run at 02:30 is no cron time');
});

test('start-up reports missed runs and runs a catch-up once for catchUp jobs only', async (t) => {
  const root = await tempDir(t);
  const history = new HistoryLog(root);
  const yearly = { cron: '0 0 0 1 1 *', timezone: 'UTC' };
  await history.append(start('old1', 'catches-up', '2020-01-01T00:00:00.000Z'));
  await history.append(end('old1', 'catches-up', '2020-01-01T00:00:01.000Z'));
  await history.append(start('old2', 'reports-only', '2020-01-01T00:00:00.000Z'));
  await history.append(end('old2', 'reports-only', '2020-01-01T00:00:01.000Z'));
  const jobs = [volumeJob('catches-up', { ...yearly, catchUp: true }), volumeJob('reports-only', yearly)];
  const actions = new FakeJobActions({ jobs: {} });
  const lines: string[] = [];
  const log: SchedulerLog = { ...silentLog, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  const stop = new AbortController();
  const running = runScheduler({ root, jobs, actions, maxConcurrent: 2, graceMs: 5000, log, stop: stop.signal });
  while (!lines.some((l) => /catches-up: .*success/.test(l))) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  assert.deepEqual(await running, { cancelled: 0, abandoned: 0 });
  const years = new Date().getUTCFullYear() - 2020;
  assert.ok(lines.some((l) => l.startsWith(`warn job catches-up: missed ${years} run(s)`) && l.endsWith('catching up with one run now')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith(`warn job reports-only: missed ${years} run(s)`) && !l.includes('catching up')));
  assert.deepEqual(actions.calls.map((c) => c.job), ['catches-up']);
  assert.equal(actions.closed, true);
  const { runs } = await readRuns(history);
  const catchUp = runs.find((r) => r.trigger === 'catch-up')!;
  assert.equal(catchUp.scheduledFor, `${new Date().getUTCFullYear()}-01-01T00:00:00.000Z`, 'it stands for the newest missed time');
  const events = (await history.read()).events.map((e) => e.event);
  assert.deepEqual([events[4], events.at(-1)], ['scheduler-start', 'scheduler-stop']);
});
