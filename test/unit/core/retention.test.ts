/**
 * The retention policy against restic's own examples: the snapshot list of restic's
 * TestApplyPolicy (internal/restic/snapshot_policy_test.go) with the results of its golden files
 * (plus the "oldest snapshot" rule restic added in 0.17), and the 12-Sundays example of its docs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { applyRetention, isoWeek, parseCalendarDuration, type RetentionPolicy } from '../../../src/core/retention.js';

interface Snap {
  time: number;
  tags: string[];
  at: string;
}

const snap = (at: string, tags: string[] = []): Snap => ({ at, time: Date.parse(`${at.replace(' ', 'T')}Z`), tags });

// restic's testExpireSnapshots, in its order (not sorted).
const RESTIC: Snap[] = [
  ...['2014-09-01', '2014-09-02', '2014-09-05', '2014-09-06', '2014-09-08', '2014-09-09', '2014-09-10', '2014-09-11', '2014-09-20', '2014-09-22'].map((d) => snap(`${d} 10:20:30`)),
  ...['2014-08-08', '2014-08-10', '2014-08-12', '2014-08-13'].map((d) => snap(`${d} 10:20:30`)),
  snap('2014-08-13 10:20:30.100'),
  ...['2014-08-15', '2014-08-18', '2014-08-20', '2014-08-21', '2014-08-22'].map((d) => snap(`${d} 10:20:30`)),
  ...['2014-10-01', '2014-10-02', '2014-10-05', '2014-10-06', '2014-10-08', '2014-10-09', '2014-10-10', '2014-10-11', '2014-10-20', '2014-10-22'].map((d) => snap(`${d} 10:20:30`, ['foo'])),
  ...['2014-11-08', '2014-11-10', '2014-11-12', '2014-11-13'].map((d) => snap(`${d} 10:20:30`, ['foo'])),
  snap('2014-11-13 10:20:30.100', ['bar']),
  snap('2014-11-15 10:20:30', ['foo', 'bar']),
  ...['2014-11-18', '2014-11-20', '2014-11-21', '2014-11-22'].map((d) => snap(`${d} 10:20:30`)),
  ...['2015-09-01', '2015-09-02', '2015-09-05', '2015-09-06', '2015-09-08', '2015-09-09', '2015-09-10', '2015-09-11', '2015-09-20', '2015-09-22'].map((d) => snap(`${d} 10:20:30`)),
  ...['2015-08-08', '2015-08-10', '2015-08-12', '2015-08-13'].map((d) => snap(`${d} 10:20:30`)),
  snap('2015-08-13 10:20:30.100'),
  ...['2015-08-15', '2015-08-18', '2015-08-20', '2015-08-21', '2015-08-22'].map((d) => snap(`${d} 10:20:30`)),
  ...['2015-10-01', '2015-10-02', '2015-10-05', '2015-10-06', '2015-10-08', '2015-10-09', '2015-10-10', '2015-10-11', '2015-10-20', '2015-10-22', '2015-10-22'].map((d) => snap(`${d} 10:20:30`)),
  snap('2015-10-22 10:20:30', ['foo', 'bar']),
  snap('2015-10-22 10:20:30', ['foo', 'bar']),
  snap('2015-10-22 10:20:30', ['foo', 'bar']),
  ...['2015-11-08', '2015-11-10', '2015-11-12', '2015-11-13'].map((d) => snap(`${d} 10:20:30`)),
  snap('2015-11-13 10:20:30.100'),
  ...['2015-11-15', '2015-11-18', '2015-11-20', '2015-11-21', '2015-11-22'].map((d) => snap(`${d} 10:20:30`)),
  ...['2016-01-01 01:02:03', '2016-01-01 01:03:03', '2016-01-01 07:08:03', '2016-01-03 07:02:03', '2016-01-04 10:23:03', '2016-01-04 11:23:03'].map((d) => snap(d)),
  ...['2016-01-04 12:23:03', '2016-01-04 12:24:03', '2016-01-04 12:28:03', '2016-01-04 12:30:03', '2016-01-04 16:23:03', '2016-01-05 09:02:03'].map((d) => snap(d)),
  ...['2016-01-06 08:02:03', '2016-01-07 10:02:03', '2016-01-08 20:02:03', '2016-01-09 21:02:03', '2016-01-12 21:02:03', '2016-01-12 21:08:03', '2016-01-18 12:02:03'].map((d) => snap(d)),
];

function kept(policy: RetentionPolicy, list: Snap[] = RESTIC): string[] {
  return applyRetention(list, policy, { timeZone: 'utc', now: Date.parse('2030-01-01T00:00:00Z') })
    .filter((d) => d.keep)
    .map((d) => d.item.at);
}

function reasons(policy: RetentionPolicy, list: Snap[] = RESTIC): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of applyRetention(list, policy, { timeZone: 'utc', now: Date.parse('2030-01-01T00:00:00Z') })) if (d.keep) out[d.item.at] = d.reasons;
  return out;
}

test('the restic test list has the 103 snapshots of TestApplyPolicy', () => {
  assert.equal(RESTIC.length, 103);
});

test('an empty policy keeps everything, newest first', () => {
  const all = applyRetention(RESTIC, {}, { timeZone: 'utc' });
  assert.equal(all.length, 103);
  assert.ok(all.every((d) => d.keep && d.reasons[0] === 'policy is empty'));
  assert.equal(all[0]!.item.at, '2016-01-18 12:02:03');
});

test('keep-last keeps the n newest', () => {
  assert.deepEqual(kept({ last: 3 }), ['2016-01-18 12:02:03', '2016-01-12 21:08:03', '2016-01-12 21:02:03']);
  assert.equal(kept({ last: 10 }).length, 10);
  assert.equal(kept({ last: 200 }).length, 103);
});

test('keep-daily 3 (restic golden file 6)', () => {
  assert.deepEqual(kept({ daily: 3 }), ['2016-01-18 12:02:03', '2016-01-12 21:08:03', '2016-01-09 21:02:03']);
});

test('keep-hourly keeps the newest of each hour that has snapshots', () => {
  assert.deepEqual(kept({ hourly: 6 }), ['2016-01-18 12:02:03', '2016-01-12 21:08:03', '2016-01-09 21:02:03', '2016-01-08 20:02:03', '2016-01-07 10:02:03', '2016-01-06 08:02:03']);
  assert.ok(kept({ hourly: 20 }).includes('2016-01-04 12:30:03'));
  assert.ok(!kept({ hourly: 20 }).includes('2016-01-04 12:28:03'), 'one per hour: the newest');
});

test('keep-weekly uses ISO weeks (Monday to Sunday)', () => {
  assert.deepEqual(kept({ weekly: 2 }), ['2016-01-18 12:02:03', '2016-01-12 21:08:03']);
  // 2016-01-03 is a Sunday (ISO week 2015-W53), 2016-01-04 a Monday (2016-W01).
  assert.deepEqual(kept({ weekly: 4 }), ['2016-01-18 12:02:03', '2016-01-12 21:08:03', '2016-01-09 21:02:03', '2016-01-03 07:02:03']);
});

test('keep-yearly keeps one per year, and the oldest while the count lasts (restic 0.17)', () => {
  assert.deepEqual(kept({ yearly: 10 }), ['2016-01-18 12:02:03', '2015-11-22 10:20:30', '2014-11-22 10:20:30', '2014-08-08 10:20:30']);
  assert.deepEqual(reasons({ yearly: 10 })['2014-08-08 10:20:30'], ['oldest yearly snapshot']);
  assert.deepEqual(kept({ yearly: 3 }), ['2016-01-18 12:02:03', '2015-11-22 10:20:30', '2014-11-22 10:20:30'], 'no count left: no oldest');
});

test('rules are ORed and each kept snapshot says which rules keep it', () => {
  const r = reasons({ last: 2, daily: 3, monthly: 2 });
  assert.deepEqual(r['2016-01-18 12:02:03'], ['last snapshot', 'daily snapshot', 'monthly snapshot']);
  assert.deepEqual(r['2016-01-12 21:08:03'], ['last snapshot', 'daily snapshot']);
  assert.deepEqual(r['2016-01-09 21:02:03'], ['daily snapshot']);
  assert.deepEqual(r['2015-11-22 10:20:30'], ['monthly snapshot']);
  assert.equal(Object.keys(r).length, 4);
});

test('keep-daily 7, weekly 2, monthly 3, yearly 10 (restic golden file 17, plus the oldest)', () => {
  assert.deepEqual(kept({ daily: 7, weekly: 2, monthly: 3, yearly: 10 }), [
    '2016-01-18 12:02:03',
    '2016-01-12 21:08:03',
    '2016-01-09 21:02:03',
    '2016-01-08 20:02:03',
    '2016-01-07 10:02:03',
    '2016-01-06 08:02:03',
    '2016-01-05 09:02:03',
    '2015-11-22 10:20:30',
    '2015-10-22 10:20:30',
    '2014-11-22 10:20:30',
    '2014-08-08 10:20:30',
  ]);
  const r = reasons({ daily: 7, weekly: 2, monthly: 3, yearly: 10 });
  assert.deepEqual(r['2016-01-18 12:02:03'], ['daily snapshot', 'weekly snapshot', 'monthly snapshot', 'yearly snapshot']);
  assert.deepEqual(r['2015-11-22 10:20:30'], ['monthly snapshot', 'yearly snapshot']);
});

test('unlimited (-1) keeps one per period for every period', () => {
  const days = new Set(RESTIC.map((s) => s.at.slice(0, 10)));
  assert.equal(kept({ daily: -1 }).length, days.size);
});

test('keep-tag keeps snapshots with all tags of any one list; "" matches untagged', () => {
  assert.equal(kept({ tags: [['foo']] }).length, 18);
  assert.deepEqual(kept({ tags: [['foo', 'bar']] }), ['2015-10-22 10:20:30', '2015-10-22 10:20:30', '2015-10-22 10:20:30', '2014-11-15 10:20:30']);
  assert.equal(kept({ tags: [['foo'], ['bar']] }).length, 19);
  assert.equal(kept({ tags: [['']] }).length, 103 - 19);
  assert.deepEqual(reasons({ tags: [['foo', 'bar']] })['2014-11-15 10:20:30'], ['has tags [foo, bar]']);
});

test('keep-within is relative to the newest snapshot, with calendar months', () => {
  assert.deepEqual(kept({ within: parseCalendarDuration('1d') }), ['2016-01-18 12:02:03']);
  assert.deepEqual(kept({ within: parseCalendarDuration('7d') }), ['2016-01-18 12:02:03', '2016-01-12 21:08:03', '2016-01-12 21:02:03']);
  assert.equal(kept({ within: parseCalendarDuration('1m14d') }).length, 19, 'the 19 of 2016: everything after 2015-12-04 12:02:03');
  assert.deepEqual(reasons({ within: parseCalendarDuration('2d') })['2016-01-18 12:02:03'], ['within 2d']);
});

test('snapshots in the future do not move the keep-within window', () => {
  const list = [snap('2020-01-10 00:00:00'), snap('2020-01-09 00:00:00'), snap('2099-01-01 00:00:00')];
  const r = applyRetention(list, { within: parseCalendarDuration('2d') }, { timeZone: 'utc', now: Date.parse('2020-02-01T00:00:00Z') });
  assert.deepEqual(r.filter((d) => d.keep).map((d) => d.item.at), ['2099-01-01 00:00:00', '2020-01-10 00:00:00', '2020-01-09 00:00:00']);
});

test('keep-within-daily keeps the newest of each day inside the window', () => {
  assert.deepEqual(kept({ withinDaily: parseCalendarDuration('7d') }), ['2016-01-18 12:02:03', '2016-01-12 21:08:03']);
});

test("restic's docs: one backup every Sunday for 12 weeks, --keep-daily 4 keeps the last four", () => {
  const sundays = Array.from({ length: 12 }, (_, i) => snap(new Date(Date.UTC(2019, 8, 1 + 7 * i, 11)).toISOString().slice(0, 19).replace('T', ' ')));
  assert.deepEqual(kept({ daily: 4 }, sundays), ['2019-11-17 11:00:00', '2019-11-10 11:00:00', '2019-11-03 11:00:00', '2019-10-27 11:00:00']);
  assert.deepEqual(kept({ weekly: 2, monthly: 2 }, sundays), ['2019-11-17 11:00:00', '2019-11-10 11:00:00', '2019-10-27 11:00:00']);
});

test('ISO weeks at year boundaries', () => {
  assert.deepEqual(isoWeek(2016, 1, 3), { year: 2015, week: 53 });
  assert.deepEqual(isoWeek(2016, 1, 4), { year: 2016, week: 1 });
  assert.deepEqual(isoWeek(2014, 12, 29), { year: 2015, week: 1 });
  assert.deepEqual(isoWeek(2020, 12, 31), { year: 2020, week: 53 });
});

test('durations parse like restic\'s (y, m, d, h) and bad ones are usage errors', () => {
  assert.deepEqual(parseCalendarDuration('1y2m3d4h'), { years: 1, months: 2, days: 3, hours: 4 });
  assert.deepEqual(parseCalendarDuration('36h'), { years: 0, months: 0, days: 0, hours: 36 });
  for (const bad of ['', '1w', '5', 'd3', '1d1y']) assert.throws(() => parseCalendarDuration(bad), UsageError, bad);
});
