/**
 * A schedule file's retention means what restic's flags mean: the example's policy (keep-last 3,
 * keep-daily 7, keep-weekly 4, keep-monthly 6) over a year of nightly backups keeps exactly the
 * expected ones, each with the rule that keeps it; keep-within and -1 (unlimited) parse too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyRetention } from '../../../src/core/retention.js';
import { checkSource } from '../../../src/scheduler/schedule-load.js';

function policyOf(retention: string) {
  const { jobs, issues } = checkSource('r.yaml', `jobs:\n  - name: r\n    cron: "@daily"\n    volumes: [v]\n    retention: ${retention}\n`);
  assert.deepEqual(issues, []);
  const task = jobs[0]!.task;
  assert.ok(task.kind === 'backup' && task.retention);
  return task.retention;
}

test("the example's policy over a year of nightly backups keeps exactly 14, and says why", () => {
  const policy = policyOf('{ keep-last: 3, keep-daily: 7, keep-weekly: 4, keep-monthly: 6 }');
  // one backup a night at 00:30 UTC, 2024-07-01 .. 2025-06-30 (a Monday)
  const nights = Array.from({ length: 365 }, (_, i) => ({ id: new Date(Date.UTC(2024, 6, 1 + i, 0, 30)).toISOString().slice(0, 10), time: Date.UTC(2024, 6, 1 + i, 0, 30), tags: [] }));
  const decisions = applyRetention(nights, policy, { timeZone: 'utc', now: Date.UTC(2025, 6, 1) });
  const kept = decisions.filter((d) => d.keep).map((d) => `${d.item.id} ${d.reasons.join(', ')}`);
  assert.deepEqual(kept, [
    '2025-06-30 last snapshot, daily snapshot, weekly snapshot, monthly snapshot',
    '2025-06-29 last snapshot, daily snapshot, weekly snapshot',
    '2025-06-28 last snapshot, daily snapshot',
    '2025-06-27 daily snapshot',
    '2025-06-26 daily snapshot',
    '2025-06-25 daily snapshot',
    '2025-06-24 daily snapshot',
    '2025-06-22 weekly snapshot',
    '2025-06-15 weekly snapshot',
    '2025-05-31 monthly snapshot',
    '2025-04-30 monthly snapshot',
    '2025-03-31 monthly snapshot',
    '2025-02-28 monthly snapshot',
    '2025-01-31 monthly snapshot',
  ]);
  assert.equal(decisions.filter((d) => !d.keep).length, 365 - 14);
});

test('keep-within, within-daily and unlimited counts parse into the policy', () => {
  assert.deepEqual(policyOf('{ keep-within: 1y2m, keep-within-daily: 7d, keep-yearly: -1 }'), {
    within: { years: 1, months: 2, days: 0, hours: 0 },
    withinDaily: { years: 0, months: 0, days: 7, hours: 0 },
    yearly: -1,
  });
});
