/**
 * The bench's growth table (bench/report.ts): the marginal figure per scale-1 of extra data takes
 * the fixed cost of a run out, so a tool with a big start-up cost and a slow inner loop no longer
 * looks like it scales well beside one that does the work faster.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { growthRows, type Row } from '../../../bench/report.js';

const row = (name: string, peerName: string, lifeboat: number, peer: number): Row => ({ name, peerName, lifeboat, peer, ratio: lifeboat / peer, unit: 's', lifeboatRssMiB: 100, peerRssMiB: 80, runs: 3 });

test('growth rows give each peer its own marginal cost and ratio, fixed costs cancelled', () => {
  // Lifeboat: 1 s fixed + 1 s per scale 1; restic: 0.1 s fixed + 0.5 s per scale 1; borg equal to Lifeboat.
  const small = { scale: 0.1, rows: [row('backup', 'restic', 1.1, 0.15), row('backup', 'borg', 1.1, 1.1)] };
  const large = { scale: 1, rows: [row('backup', 'restic', 2, 0.6), row('backup', 'borg', 2, 2)] };
  const [r, b] = growthRows(small, large);
  assert.equal(r!.factor, 1.818, 'the plain factor reads as sublinear growth');
  assert.deepEqual(r!.marginal, { lifeboat: 1, peer: 0.5, ratio: 2 }, 'at the margin Lifeboat does the work at half the speed');
  assert.equal(b!.peerName, 'borg');
  assert.equal(b!.marginal.ratio, 1);
});

test('a row the small run lacks, or one whose peer did not grow, has no marginal ratio to show', () => {
  const small = { scale: 0.1, rows: [row('restore', 'restic', 1, 2)] };
  const large = { scale: 1, rows: [row('restore', 'restic', 2, 2), row('only large', 'restic', 1, 1)] };
  const rows = growthRows(small, large);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.marginal.ratio, null);
});
