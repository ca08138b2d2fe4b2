/**
 * The `repo` commands end to end through the real CLI on a local repository: init (and init over
 * an existing one, exit 4), a missing repository (exit 10), check --read-data finding a flipped
 * byte (exit 6), locks (exit 11 naming the holder; unlock removing a dead process's lock), stats.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { open, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeJson } from '../../../src/core/strict-json.js';
import { pushToRepository } from '../../../src/ops/repo-copy.js';
import { LocalBackend } from '../../../src/repository/backends/local-backend.js';
import { lockName } from '../../../src/repository/repo-layout.js';
import { Repository } from '../../../src/repository/repository.js';
import { lifeboat } from '../../helpers/cli.js';
import { storeFixture } from '../../helpers/repo-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

test('repo init creates a private repository; a second init is a conflict (exit 4)', async (t) => {
  const url = join(await tempDir(t), 'repo');
  const r = await lifeboat(['repo', 'init', url, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match((JSON.parse(r.stdout) as { id: string }).id, /^[0-9a-f]{64}$/);
  const again = await lifeboat(['repo', 'init', url]);
  assert.equal(again.code, 4);
  assert.match(again.stderr, /already exists/);
});

test('every repo command on a location without a repository exits 10', async (t) => {
  const url = join(await tempDir(t), 'nothing');
  for (const cmd of ['check', 'stats', 'unlock']) {
    const r = await lifeboat(['repo', cmd, url, '--json']);
    assert.equal(r.code, 10, `${cmd}: ${r.stderr}`);
    assert.equal((JSON.parse(r.stderr) as { error: string }).error, 'NO_REPOSITORY');
  }
});

test('repo check --read-data finds a flipped byte in a pack (exit 6); without --read-data the sizes still match', async (t) => {
  const fx = await storeFixture(t, [{ count: 30, size: 16 * 1024, kind: 'random' }]);
  const path = join(await tempDir(t), 'repo');
  const repo = await Repository.init(new LocalBackend(path));
  await repo.withLock('shared', () => pushToRepository(fx.store, repo, [fx.root], { packTarget: 128 * 1024 }));
  await repo.close();
  assert.equal((await lifeboat(['repo', 'check', path, '--read-data'])).code, 0);
  const dir = join(path, 'data', (await readdir(join(path, 'data')))[0]!);
  const pack = join(dir, (await readdir(dir))[0]!);
  const fh = await open(pack, 'r+');
  await fh.write(Buffer.from([0x5a]), 0, 1, 5000);
  await fh.close();
  assert.equal((await lifeboat(['repo', 'check', path])).code, 0, 'no data read: nothing to see');
  const r = await lifeboat(['repo', 'check', path, '--read-data']);
  assert.equal(r.code, 6, r.stdout + r.stderr);
  assert.match(r.stdout, /damaged/);
  assert.match(r.stderr, /problem\(s\) found/);
});

test('locks: an exclusive lock held elsewhere refuses check (exit 11, naming the holder); unlock removes only stale locks', async (t) => {
  const path = join(await tempDir(t), 'repo');
  const repo = await Repository.init(new LocalBackend(path));
  const put = (id: string, lock: object) => repo.backend.put(lockName(id.repeat(32)), encodeJson(lock));
  await put('a', { exclusive: true, host: 'prune-box', pid: 4242, time: new Date().toISOString(), user: 'ops' });
  const locked = await lifeboat(['repo', 'check', path]);
  assert.equal(locked.code, 11, locked.stderr);
  assert.match(locked.stderr, /exclusive lock held by ops@prune-box \(pid 4242\)/);
  assert.match(locked.stderr, /repo unlock/);

  await repo.backend.delete(lockName('a'.repeat(32)));
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  await put('b', { exclusive: true, host: hostname(), pid: dead, time: new Date().toISOString(), user: 'root' });
  await put('c', { exclusive: false, host: 'backup-box', pid: 7, time: new Date().toISOString(), user: 'ops' });
  const check = await lifeboat(['repo', 'check', path, '--json']);
  assert.equal(check.code, 0, 'a stale exclusive lock blocks nobody; a shared one does not block check');
  assert.deepEqual((JSON.parse(check.stdout) as { locks: object }).locks, { live: 1, stale: 1 });
  const unlock = await lifeboat(['repo', 'unlock', path, '--json']);
  assert.equal(unlock.code, 0);
  const removed = (JSON.parse(unlock.stdout) as { removed: Array<{ id: string }> }).removed;
  assert.deepEqual(removed.map((l) => l.id[0]), ['b']);
  const all = await lifeboat(['repo', 'unlock', path, '--remove-all']);
  assert.match(all.stdout, /removed 1 lock/);
  await repo.close();
});

test('repo stats reports blobs, bytes and the compression ratio', async (t) => {
  const fx = await storeFixture(t, [{ count: 20, size: 8 * 1024, kind: 'text' }]);
  const path = join(await tempDir(t), 'repo');
  const repo = await Repository.init(new LocalBackend(path));
  await repo.withLock('shared', () => pushToRepository(fx.store, repo, [fx.root]));
  await repo.putRef('web-1', { roots: [fx.root] });
  await repo.close();
  const r = await lifeboat(['repo', 'stats', path, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { blobs: number; rawBytes: number; compressionRatio: number; backups: number; packs: number };
  assert.equal(s.blobs, 22);
  assert.equal(s.backups, 1);
  assert.equal(s.packs, 1);
  assert.ok(s.compressionRatio > 5, String(s.compressionRatio));
  const human = await lifeboat(['repo', 'stats', path]);
  assert.match(human.stdout, /Compression ratio:\s+\d/);
});
