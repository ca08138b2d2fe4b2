/**
 * The retention flags both forget commands share: counts and "unlimited" become the policy; a count
 * that is not a number is a usage error (exit 2) naming the flag, before anything is read or removed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { policyOf } from '../../../src/cli/views/retention-flags.js';
import { lifeboat } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';

test('counts, unlimited (-1), keep-within and keep-tag become the policy; absent flags stay absent', () => {
  const policy = policyOf({ keepLast: 3, keepDaily: -1, keepTag: ['a,b', 'c'], dryRun: true });
  assert.deepEqual(policy, { last: 3, daily: -1, tags: [['a', 'b'], ['c']] });
  assert.ok(policyOf({ keepWithin: '1y2m' }).within, 'keep-within parses into a duration');
});

test('a count that is not a number names its flag', () => {
  assert.throws(() => policyOf({ keepWeekly: Number.NaN }), (e: unknown) => e instanceof UsageError && /--keep-weekly takes a number or "unlimited"/.test(e.message));
  assert.throws(() => policyOf({ keepLast: -2 }), UsageError);
});

test('volume forget and forget refuse --keep-last abc (or 3abc) with exit 2, on stderr', async (t) => {
  const root = await tempDir(t);
  for (const args of [['volume', 'forget', '--keep-last', 'abc'], ['volume', 'forget', '--keep-last', '3abc'], ['forget', '--repo', root, '--keep-hourly', 'many']]) {
    const r = await lifeboat(['--root', root, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--keep-(last|hourly) takes a number or "unlimited"/);
    assert.equal(r.stdout, '');
  }
});
