/**
 * Next-run math from any instant, in any zone: seconds optional, DST gaps and repeats, L and #
 * tokens, nicknames; runs between two instants (what start-up counts as missed); the period a job
 * is expected to succeed within. node-cron's own "next runs from now" is the reference it must
 * agree with.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTask } from 'node-cron';
import { CronClock, cronProblems } from '../../../src/scheduler/cron-clock.js';

const iso = (d: Date | undefined) => d?.toISOString();
const at = (s: string) => Date.parse(s);

test('next run: seconds optional, time zones, calendar tokens', () => {
  const cases: Array<[string, string | undefined, string, string]> = [
    ['0 30 2 * * *', 'UTC', '2025-01-01T00:00:00Z', '2025-01-01T02:30:00.000Z'],
    ['30 2 * * *', 'UTC', '2025-01-01T02:30:00Z', '2025-01-02T02:30:00.000Z'], // strictly after
    ['0 30 2 * * *', 'Europe/Berlin', '2025-01-01T00:00:00Z', '2025-01-01T01:30:00.000Z'], // CET = UTC+1
    ['0 30 2 * * *', 'Europe/Berlin', '2025-07-01T00:00:00Z', '2025-07-01T00:30:00.000Z'], // CEST = UTC+2
    ['0 0 4 * * 0', 'UTC', '2025-01-01T00:00:00Z', '2025-01-05T04:00:00.000Z'], // Sunday
    ['0 0 0 L * *', 'UTC', '2024-02-01T00:00:00Z', '2024-02-29T00:00:00.000Z'], // last day, leap year
    ['0 0 9 * * 1#2', 'UTC', '2025-03-01T00:00:00Z', '2025-03-10T09:00:00.000Z'], // second Monday
    ['@weekly', 'UTC', '2025-01-01T00:00:00Z', '2025-01-05T00:00:00.000Z'],
    ['*/2 * * * * *', 'UTC', '2025-01-01T00:00:00.500Z', '2025-01-01T00:00:02.000Z'],
    ['0 0 12 29 2 *', 'UTC', '2025-03-01T00:00:00Z', '2028-02-29T12:00:00.000Z'],
  ];
  for (const [expr, zone, from, expected] of cases) assert.equal(iso(new CronClock(expr, zone).next(at(from))), expected, `${expr} ${zone} after ${from}`);
  // 05:30 in India (UTC+5:30) is midnight UTC: a half-hour zone
  assert.equal(iso(new CronClock('30 5 * * *', 'Asia/Kolkata').next(at('2024-12-31T23:00:00Z'))), '2025-01-01T00:00:00.000Z');
});

test('daylight saving: a skipped wall time does not run that day; a repeated one runs once', () => {
  const berlin = new CronClock('0 30 2 * * *', 'Europe/Berlin');
  // 2025-03-30: clocks jump from 02:00 to 03:00 in Berlin; 02:30 does not exist that day
  const { times } = berlin.between(at('2025-03-29T00:00:00Z'), at('2025-04-01T00:00:00Z'));
  assert.deepEqual(times.map((t) => t.toISOString()), ['2025-03-29T01:30:00.000Z', '2025-03-31T00:30:00.000Z']);
  // 2025-11-02 in New York: 01:30 happens twice; the job runs once
  const ny = new CronClock('0 30 1 * * *', 'America/New_York');
  const fall = ny.between(at('2025-11-02T00:00:00Z'), at('2025-11-03T00:00:00Z')).times;
  assert.equal(fall.length, 1);
});

test('between counts runs in (from, to] and stops at a limit', () => {
  const c = new CronClock('*/2 * * * * *', 'UTC');
  const r = c.between(at('2025-01-01T00:00:00Z'), at('2025-01-01T00:00:10Z'));
  assert.deepEqual(r.times.map((t) => t.getUTCSeconds()), [2, 4, 6, 8, 10]);
  assert.equal(r.more, false);
  const capped = c.between(at('2025-01-01T00:00:00Z'), at('2025-01-02T00:00:00Z'), 100);
  assert.equal(capped.times.length, 100);
  assert.equal(capped.more, true);
});

test('period: the longest gap between the next runs', () => {
  assert.equal(new CronClock('*/2 * * * * *', 'UTC').period(), 2000);
  assert.equal(new CronClock('0 30 2 * * *', 'UTC').period(), 86_400_000);
  assert.equal(new CronClock('0 0 4 * * 0', 'UTC').period(), 7 * 86_400_000);
  assert.equal(new CronClock('0 0 9 * * 1-5', 'UTC').period(at('2025-01-01T00:00:00Z'), 10), 3 * 86_400_000, 'over the weekend');
});

test('agrees with node-cron on the next runs from now', () => {
  for (const [expr, zone] of [['*/7 * * * * *', 'UTC'], ['0 */5 * * * *', 'Europe/Berlin'], ['0 15 3 * * 1-5', 'America/New_York'], ['0 0 0 1 * *', 'Asia/Tokyo'], ['0 0 12 L * *', 'UTC']] as const) {
    const task = createTask(expr, () => undefined, { timezone: zone });
    const now = Date.now();
    const theirs = task.getNextRuns(4).map((d) => d.toISOString());
    const clock = new CronClock(expr, zone);
    const ours: string[] = [];
    for (let t = clock.next(now); ours.length < 4 && t; t = clock.next(t)) ours.push(t.toISOString());
    void task.destroy();
    // node-cron computed from a moment later than `now`: compare from its first run on
    const start = ours.indexOf(theirs[0]!);
    assert.ok(start >= 0 && start <= 1, `${expr}: ${ours.join(' ')} vs ${theirs.join(' ')}`);
    assert.deepEqual(ours.slice(start, start + 3), theirs.slice(0, 3), expr);
  }
});

test('bad cron lines and zones say which field is wrong', () => {
  assert.deepEqual(cronProblems('0 61 2 * * *'), ['minute: 61 is a invalid expression for minute']);
  assert.deepEqual(cronProblems('* * *'), ['expected 5 or 6 fields but got 3']);
  assert.match(cronProblems('* * * * *', 'Mars/Olympus')[0]!, /unknown time zone "Mars\/Olympus"/);
  assert.deepEqual(cronProblems('@daily', 'Europe/Berlin'), []);
  assert.throws(() => new CronClock('nope'), /invalid cron line/);
});
