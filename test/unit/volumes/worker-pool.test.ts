/**
 * The I/O worker pool when a worker dies (an OOM kill, a native crash): its jobs fail, it takes no
 * more, the others carry on; with none left, queued and new jobs fail. Before, the dead worker
 * stayed in the pool and a job sent to it never answered, so a snapshot hung. Workers started
 * ahead (prestartWorkers) are the next pool's, and never keep a process alive that takes none.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { prestartWorkers, WorkerPool } from '../../../src/volumes/worker-pool.js';

const workersOf = (pool: WorkerPool) => (pool as unknown as { slots: Array<{ worker: Worker }> }).slots.map((s) => s.worker);
const dir = mkdtempSync(join(tmpdir(), 'lb-pool-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
/** A cheap job: a scan of an empty directory. */
const scan = { kind: 'dir' as const, path: dir, alias: dir };

test('a dead worker leaves the pool: later jobs go to the others, and fail once none is left', { timeout: 20_000 }, async (t) => {
  const pool = new WorkerPool(2);
  t.after(() => pool.close());
  const [first, second] = workersOf(pool);
  await first!.terminate();
  for (let i = 0; i < 4; i++) assert.equal((await pool.run(scan)).kind, 'dir', 'answered by the live worker');
  await second!.terminate();
  await assert.rejects(pool.run(scan), /I\/O worker exited/);
});

test('the last worker dying fails the job it had and the jobs still queued, instead of leaving them waiting', { timeout: 20_000 }, async (t) => {
  const pool = new WorkerPool(1);
  t.after(() => pool.close());
  const [only] = workersOf(pool);
  void only!.terminate(); // it stops before it can answer what is sent to it now
  const jobs = Array.from({ length: 6 }, () => pool.run(scan)); // more than it takes at once: the rest wait in the queue
  for (const job of jobs) await assert.rejects(job, /I\/O worker exited/);
});

test('prestarted workers are the next pool’s: it starts none of its own, and they answer', { timeout: 20_000 }, async (t) => {
  const probe = new Worker('void 0', { eval: true });
  const before = probe.threadId;
  await probe.terminate();
  prestartWorkers(2);
  const pool = new WorkerPool(2);
  t.after(() => pool.close());
  assert.deepEqual(workersOf(pool).map((w) => w.threadId), [before + 1, before + 2], 'the two started ahead, not two more');
  assert.equal((await pool.run(scan)).kind, 'dir');
  const next = new WorkerPool(1);
  t.after(() => next.close());
  assert.equal(workersOf(next)[0]!.threadId, before + 3, 'taken once: the next pool starts its own');
});

test('prestarted workers no pool takes do not keep the process alive', { timeout: 20_000 }, async () => {
  const url = new URL('../../../src/volumes/worker-pool.js', import.meta.url).href;
  const script = join(dir, 'prestart-only.mjs'); // a file: under -e, node exits with workers still running
  writeFileSync(script, `const { prestartWorkers } = await import(${JSON.stringify(url)});\nprestartWorkers(2);\n`);
  const child = spawnSync(process.execPath, [script], { timeout: 10_000 });
  assert.equal(child.signal, null, 'it exited by itself, not killed at the timeout');
  assert.equal(child.status, 0, child.stderr.toString());
});

test('a store job on a pool that carries no segments is refused, not left waiting for a send budget', async (t) => {
  const pool = new WorkerPool(1);
  t.after(() => pool.close());
  const job = { kind: 'store' as const, chunker: { min: 1024, avg: 4096, max: 16384 }, files: [], sizes: [] };
  await assert.rejects(pool.run(job), /store job on a pool without onSegment/);
});
