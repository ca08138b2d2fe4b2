/**
 * forget's decisions: retention applies per container (one container's backups never keep
 * another's), backups named by ID go whatever the policy says, and verification file names carry
 * their verdict and time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaType } from '../../../src/core/media-types.js';
import { refOf } from '../../../src/ops/backup-format.js';
import { decide } from '../../../src/ops/backup-forget.js';
import { parseVerificationName } from '../../../src/ops/verify-record.js';
import { sampleRecord } from './record.js';

function entry(id: string, container: string, created: string, tags: string[] = []) {
  const r = { ...sampleRecord(), created, tags, container: { ...sampleRecord().container, name: container } };
  return { id, ref: refOf({ mediaType: MediaType.LifeboatBackup, digest: `sha256:${id}` as never, size: 1 }, r) };
}

const hex = (c: string) => c.repeat(64);
const entries = [
  entry(hex('1'), 'a', '2026-01-01T10:00:00Z'),
  entry(hex('2'), 'a', '2026-01-02T10:00:00Z', ['keep']),
  entry(hex('3'), 'a', '2026-01-03T10:00:00Z'),
  entry(hex('4'), 'b', '2026-01-01T12:00:00Z'),
];

test('keep-last applies per container', () => {
  const d = decide(entries, { last: 1 }, new Set(), { timeZone: 'utc' });
  assert.deepEqual(d.filter((x) => x.keep).map((x) => x.id), [hex('3'), hex('4')]);
  assert.deepEqual(d.find((x) => x.id === hex('4'))!.reasons, ['last snapshot']);
});

test('rules are ORed with their reasons; a backup named by ID goes', () => {
  const d = decide(entries, { last: 1, tags: [['keep']] }, new Set([hex('3')]), { timeZone: 'utc' });
  assert.deepEqual(d.filter((x) => x.keep).map((x) => x.id), [hex('2'), hex('4')]);
  assert.deepEqual(d.find((x) => x.id === hex('3'))!.reasons, ['named on the command line']);
  assert.deepEqual(d.find((x) => x.id === hex('2'))!.reasons, ['has tags [keep]']);
});

test('verification names carry backup, time and verdict; others are ignored', () => {
  const v = parseVerificationName(`verifications/${hex('a')}/20260102T030405678Z-fail-abcdef.json`);
  assert.deepEqual(v, { backup: hex('a'), name: `verifications/${hex('a')}/20260102T030405678Z-fail-abcdef.json`, time: '2026-01-02T03:04:05.678Z', passed: false });
  assert.equal(parseVerificationName(`verifications/${hex('a')}/../x.json`), undefined);
  assert.equal(parseVerificationName(`verifications/${hex('a')}/.tmp-123`), undefined);
});
