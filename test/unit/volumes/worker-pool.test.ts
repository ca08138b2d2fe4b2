/**
 * The I/O worker pool when a worker dies (an OOM kill, a native crash): its jobs fail, it takes no
 * more, the others carry on; with none left, queued and new jobs fail. Before, the dead worker
 * stayed in the pool and a job sent to it never answered, so a snapshot hung.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { WorkerPool } from '../../../src/volumes/worker-pool.js';

const workersOf = (pool: WorkerPool) => (pool as unknown as { slots: Array<{ worker: Worker }> }).slots.map((s) => s.worker);
const syncfs = { kind: 'syncfs' as const, path: tmpdir() };

test('a dead worker leaves the pool: later jobs go to the others, and fail once none is left', { timeout: 20_000 }, async (t) => {
  const pool = new WorkerPool(2);
  t.after(() => pool.close());
  const [first, second] = workersOf(pool);
  await first!.terminate();
  for (let i = 0; i < 4; i++) assert.equal((await pool.run(syncfs)).kind, 'syncfs', 'answered by the live worker');
  await second!.terminate();
  await assert.rejects(pool.run(syncfs), /I\/O worker exited/);
});
