/**
 * Bounded concurrency (core/semaphore.ts). syncFiles relies on forEachLimit's promises: at most
 * `n` at once, no item started after the first failure, and the rejection only once the running
 * ones have settled (its caller may delete the files next).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Semaphore, forEachLimit } from '../../../src/core/semaphore.js';

const tick = () => new Promise((r) => setImmediate(r));

test('a semaphore holds at most its limit and serves waiters first come, first served', async () => {
  const sem = new Semaphore(2);
  const a = await sem.acquire();
  const b = await sem.acquire();
  const order: string[] = [];
  const c = sem.acquire().then((release) => (order.push('c'), release));
  const d = sem.acquire().then((release) => (order.push('d'), release));
  await tick();
  assert.deepEqual(order, [], 'both wait while two are held');
  assert.equal(sem.inUse, 2);
  a();
  a(); // a second release of the same slot is ignored
  await tick();
  assert.deepEqual(order, ['c']);
  b();
  await tick();
  assert.deepEqual(order, ['c', 'd']);
  (await c)();
  (await d)();
  assert.equal(sem.inUse, 0);
  assert.throws(() => new Semaphore(0), RangeError);
});

test('forEachLimit: never more than n at once, nothing new after a failure, rejects once the running ones settle', async () => {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const finished: number[] = [];
  const release = new Map<number, () => void>();
  const done = forEachLimit([0, 1, 2, 3, 4, 5], 2, async (i) => {
    started.push(i);
    most = Math.max(most, ++running);
    await new Promise<void>((resolve) => release.set(i, resolve));
    running--;
    finished.push(i);
    if (i === 1) throw new Error('item 1 failed');
  });
  let settled = false;
  void done.then(() => (settled = true), () => (settled = true));
  await tick();
  assert.deepEqual(started, [0, 1]);
  release.get(1)!(); // fails while 0 still runs
  await tick();
  assert.deepEqual(started, [0, 1], 'no item starts after the failure');
  assert.equal(settled, false, 'the rejection waits for item 0');
  release.get(0)!();
  await assert.rejects(done, /item 1 failed/);
  assert.deepEqual(finished.sort(), [0, 1]);
  assert.equal(most, 2);

  const all: number[] = [];
  await forEachLimit([1, 2, 3, 4, 5], 3, async (i) => void all.push(i));
  assert.deepEqual(all, [1, 2, 3, 4, 5], 'every item runs when none fails');
});
