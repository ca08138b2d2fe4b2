/**
 * Repository locks: shared locks coexist, exclusive conflicts both ways (LockedError, exit 11,
 * naming the holder), stale locks (dead pid on this host, or too old) block nobody and unlock
 * removes them, a refreshed lock keeps working, a removed one aborts its holder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { ExitCode, LockedError } from '../../../src/core/errors.js';
import { encodeJson } from '../../../src/core/strict-json.js';
import { lockName } from '../../../src/repository/repo-layout.js';
import { RepoLock, listLocks, removeLocks } from '../../../src/repository/repo-locks.js';
import { localRepo } from '../../helpers/repo-fixtures.js';

const fast = { settleMs: 20 };

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('two shared locks at once are fine; an exclusive one is refused while they live, naming the holder', async (t) => {
  const { repo } = await localRepo(t);
  const a = await RepoLock.acquire(repo.backend, 'shared', fast);
  const b = await RepoLock.acquire(repo.backend, 'shared', fast);
  const err = await RepoLock.acquire(repo.backend, 'exclusive', fast).catch((e: unknown) => e);
  assert.ok(err instanceof LockedError);
  assert.equal(err.exitCode, ExitCode.LOCKED);
  assert.match(err.message, new RegExp(`shared lock held by .*@${hostname()} \\(pid ${process.pid}\\)`));
  assert.equal((await listLocks(repo.backend)).length, 2, 'the refused lock left no file');
  await a.release();
  await b.release();
  const x = await RepoLock.acquire(repo.backend, 'exclusive', fast);
  await assert.rejects(RepoLock.acquire(repo.backend, 'shared', fast), LockedError, 'a shared lock is refused while an exclusive one lives');
  await x.release();
  assert.deepEqual(await listLocks(repo.backend), []);
});

test('a shared and an exclusive lock taken at the same moment never both hold (the shared one does not wait to look again)', async (t) => {
  const { repo } = await localRepo(t);
  for (let i = 0; i < 25; i++) {
    const [s, x] = await Promise.all([RepoLock.acquire(repo.backend, 'shared', { settleMs: 50 }).catch((e: unknown) => e), RepoLock.acquire(repo.backend, 'exclusive', { settleMs: 50 }).catch((e: unknown) => e)]);
    const held = [s, x].filter((l): l is RepoLock => l instanceof RepoLock);
    assert.ok(held.length <= 1, `round ${i}: both locks were granted`);
    for (const e of [s, x]) if (!(e instanceof RepoLock)) assert.ok(e instanceof LockedError, String(e));
    for (const l of held) await l.release();
    assert.deepEqual(await listLocks(repo.backend), [], 'a refused lock leaves no file');
  }
  const alone = Date.now();
  const s = await RepoLock.acquire(repo.backend, 'shared', { settleMs: 1000 });
  assert.ok(Date.now() - alone < 500, 'a shared lock is granted without the settle wait');
  await s.release();
});

test('an exclusive lock waits for a shared one to go when asked to', async (t) => {
  const { repo } = await localRepo(t);
  const s = await RepoLock.acquire(repo.backend, 'shared', fast);
  setTimeout(() => void s.release(), 300);
  const x = await RepoLock.acquire(repo.backend, 'exclusive', { ...fast, waitMs: 5000 });
  await x.release();
});

test('a lock of a dead process on this host is stale: it blocks nobody and unlock removes it', async (t) => {
  const { repo } = await localRepo(t);
  const pid = deadPid();
  await repo.backend.put(lockName('0'.repeat(32)), encodeJson({ exclusive: true, host: hostname(), pid, time: new Date().toISOString(), user: 'root' }));
  await repo.backend.put(lockName('1'.repeat(32)), encodeJson({ exclusive: true, host: 'elsewhere', pid: 1, time: new Date(Date.now() - 31 * 60_000).toISOString(), user: 'root' }));
  await repo.backend.put(lockName('2'.repeat(32)), encodeJson({ exclusive: false, host: 'elsewhere', pid: 1, time: new Date().toISOString(), user: 'root' }));
  const locks = await listLocks(repo.backend);
  assert.deepEqual(locks.map((l) => [l.id[0], l.stale]).sort(), [['0', true], ['1', true], ['2', false]]);
  const s = await RepoLock.acquire(repo.backend, 'shared', fast); // stale exclusive locks do not block
  await s.release();
  const removed = await removeLocks(repo.backend);
  assert.deepEqual(removed.map((l) => l.id[0]).sort(), ['0', '1']);
  assert.equal((await listLocks(repo.backend)).length, 1, 'the live lock of another host stays');
  assert.equal((await removeLocks(repo.backend, { all: true })).length, 1);
});

test('a held lock is refreshed, and aborts its holder when someone removes it', async (t) => {
  const { repo } = await localRepo(t);
  const l = await RepoLock.acquire(repo.backend, 'shared', { ...fast, refreshMs: 50 });
  const first = l.fileId;
  await sleep(200);
  assert.notEqual(l.fileId, first, 'refreshed into a new file');
  assert.equal((await listLocks(repo.backend)).length, 1, 'the old file is gone');
  // (a refresh already under way when the file goes may write a new one: remove until it notices)
  for (let i = 0; i < 10 && !l.signal.aborted; i++) {
    await removeLocks(repo.backend, { all: true });
    await sleep(150);
  }
  assert.equal(l.signal.aborted, true);
  await l.release();
});
