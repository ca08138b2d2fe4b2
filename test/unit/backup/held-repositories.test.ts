/**
 * Which repository `repo detach NAME` means (ops/backup-local.ts pickHeld): a unique ID prefix of
 * 4 hex or more, or the location as a repository URL, normalised the way a backend names it (a
 * relative path resolved, sftp:// with its user and port spelled out); an ambiguous prefix and a
 * name that matches nothing are refused with the repositories this store does keep parents for.
 */
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { InvalidInputError, NotFoundError, UsageError } from '../../../src/core/errors.js';
import { MediaType } from '../../../src/core/media-types.js';
import { heldRepositories, pickHeld } from '../../../src/ops/backup-local.js';
import type { SnapshotRef } from '../../../src/volumes/snapshot-refs.js';

const ref = (volume: string, heldIn?: string, heldAt?: string): SnapshotRef => ({
  volume,
  descriptor: { mediaType: MediaType.LifeboatVolumeSnapshot, digest: `sha256:${'0'.repeat(64)}` as never, size: 1 },
  ...(heldIn ? { heldIn } : {}),
  ...(heldAt ? { heldAt } : {}),
});

const local = 'aa11' + '0'.repeat(60);
const remote = 'aa22' + '0'.repeat(60);
const old = 'bb33' + '0'.repeat(60);
const held = heldRepositories([
  ref('db', local, resolve('backups/repo')),
  ref('web', local, resolve('backups/repo')),
  ref('db', remote, `sftp://${userInfo().username}@backup.example:22/srv/repo`),
  ref('db', old), // written before locations were recorded
  ref('db'), // an ordinary local snapshot
]);

test('heldRepositories counts the held refs per repository and keeps their location', () => {
  assert.deepEqual(held, [
    { id: local, location: resolve('backups/repo'), snapshots: 2 },
    { id: remote, location: `sftp://${userInfo().username}@backup.example:22/srv/repo`, snapshots: 1 },
    { id: old, snapshots: 1 },
  ]);
});

test('pickHeld: by ID prefix, by relative path, by an sftp URL without user or port', () => {
  assert.equal(pickHeld(held, 'AA11').id, local);
  assert.equal(pickHeld(held, 'bb33').id, old);
  assert.equal(pickHeld(held, 'backups/repo').id, local);
  assert.equal(pickHeld(held, `file://${resolve('backups/repo')}`).id, local);
  assert.equal(pickHeld(held, 'sftp://backup.example/srv/repo').id, remote);
});

test('pickHeld: an ambiguous prefix (exit 5), a name nothing matches (exit 3), not a location (exit 2)', () => {
  assert.throws(() => pickHeld(held, 'aa'), NotFoundError, 'under 4 hex is a path, not a prefix');
  assert.throws(() => pickHeld(held, 'aa1'), NotFoundError, 'nor is 3');
  const ambiguous = (() => {
    try {
      pickHeld([...held, { id: 'aa11' + 'f'.repeat(60), snapshots: 1 }], 'aa11');
    } catch (err) {
      return err;
    }
  })();
  assert.ok(ambiguous instanceof InvalidInputError && ambiguous.exitCode === 5, String(ambiguous));
  assert.throws(() => pickHeld(held, 'sftp://other.example/srv/repo'), (err: unknown) => err instanceof NotFoundError && /keeps parents for: aa1100000000 \(/.test(err.hint ?? ''));
  assert.throws(() => pickHeld([], '/srv/repo'), (err: unknown) => err instanceof NotFoundError && /keeps no backup parents/.test(err.hint ?? ''));
  assert.throws(() => pickHeld(held, 's3://bucket/repo'), UsageError);
});
