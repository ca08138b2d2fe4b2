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
import { CREATED, type SnapshotRef } from '../../../src/volumes/snapshot-refs.js';

const ref = (volume: string, heldIn?: string, heldAt?: string, created = '2026-11-01T00:00:00.000Z'): SnapshotRef => ({
  volume,
  descriptor: { mediaType: MediaType.LifeboatVolumeSnapshot, digest: `sha256:${'0'.repeat(64)}` as never, size: 1, annotations: { [CREATED]: created } },
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
    { id: local, location: resolve('backups/repo'), locations: [resolve('backups/repo')], snapshots: 2 },
    { id: remote, location: `sftp://${userInfo().username}@backup.example:22/srv/repo`, locations: [`sftp://${userInfo().username}@backup.example:22/srv/repo`], snapshots: 1 },
    { id: old, locations: [], snapshots: 1 },
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
      pickHeld([...held, { id: 'aa11' + 'f'.repeat(60), locations: [], snapshots: 1 }], 'aa11');
    } catch (err) {
      return err;
    }
  })();
  assert.ok(ambiguous instanceof InvalidInputError && ambiguous.exitCode === 5, String(ambiguous));
  assert.throws(() => pickHeld(held, 'sftp://other.example/srv/repo'), (err: unknown) => err instanceof NotFoundError && /keeps parents for: aa1100000000 \(/.test(err.hint ?? ''));
  assert.throws(() => pickHeld([], '/srv/repo'), (err: unknown) => err instanceof NotFoundError && /keeps no backup parents/.test(err.hint ?? ''));
  assert.throws(() => pickHeld(held, 's3://bucket/repo'), UsageError);
});

test('a repository moved, or reached by two URLs: either location names it, the newest is shown', () => {
  const moved = heldRepositories([ref('db', local, '/old/place', '2026-10-01T00:00:00.000Z'), ref('web', local, '/new/place', '2026-11-01T00:00:00.000Z'), ref('x', local, '/old/place', '2026-09-01T00:00:00.000Z')]);
  assert.deepEqual(moved, [{ id: local, location: '/new/place', locations: ['/new/place', '/old/place'], snapshots: 3 }]);
  assert.equal(pickHeld(moved, '/old/place').id, local);
  assert.equal(pickHeld(moved, '/new/place').id, local);
});

test('a location two repositories had, or a name that is an ID prefix of one and the location of another, is ambiguous (exit 5)', () => {
  const again = heldRepositories([ref('db', local, '/srv/repo'), ref('db', remote, '/srv/repo')]);
  assert.throws(() => pickHeld(again, '/srv/repo'), (err: unknown) => err instanceof InvalidInputError && err.exitCode === 5 && /names 2 repositories/.test(err.message));
  assert.equal(pickHeld(again, 'aa22').id, remote, 'an ID prefix still names one');
  const both = heldRepositories([ref('db', local, resolve('aa22')), ref('db', remote, '/elsewhere')]);
  assert.throws(() => pickHeld(both, 'aa22'), (err: unknown) => err instanceof InvalidInputError && err.exitCode === 5);
});

test('locations are compared as a backend names them: ~/ stays apart from /, a file:// URL is a path', () => {
  const user = userInfo().username;
  const sftp = heldRepositories([ref('db', local, `sftp://${user}@h:22/~/repo`), ref('db', remote, `sftp://${user}@h:22/repo`)]);
  assert.equal(pickHeld(sftp, 'sftp://h/~/repo').id, local, 'in the login directory');
  assert.equal(pickHeld(sftp, 'sftp://h/repo').id, remote, 'at the root');
  const path = heldRepositories([ref('db', local, '/srv/repo')]);
  assert.equal(pickHeld(path, 'file:///srv/repo/').id, local);
  assert.equal(pickHeld(path, '/srv/repo/').id, local);
});
