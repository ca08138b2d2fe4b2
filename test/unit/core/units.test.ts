import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ago, humanDuration, humanSize, parseDuration, parseSize } from '../../../src/core/units.js';

test('sizes print like Docker (decimal, 4 significant digits)', () => {
  assert.deepEqual([0, 999, 1234, 4_260_000, 196_800_000, 1_500_000_000].map(humanSize), ['0B', '999B', '1.234kB', '4.26MB', '196.8MB', '1.5GB']);
});

test('durations print like go-units', () => {
  assert.equal(humanDuration(300), 'Less than a second');
  assert.equal(humanDuration(3000), '3 seconds');
  assert.equal(humanDuration(65_000), 'About a minute');
  assert.equal(humanDuration(2 * 60_000), '2 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(5 * 3_600_000), '5 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
  assert.equal(ago(new Date(1000), 121_000), '2 minutes ago');
  assert.equal(ago(undefined), 'N/A');
});

test('sizes and durations parse, and garbage is a usage error', () => {
  assert.equal(parseSize('64k'), 65536);
  assert.equal(parseSize('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('10'), 10_000);
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.throws(() => parseSize('12 parsecs'), /invalid size/);
  assert.throws(() => parseDuration('1x'), /invalid duration/);
  assert.throws(() => parseDuration(''), /invalid duration/);
});
