/**
 * `volume snapshot` of a volume a real container is writing (the runtime's unshare executor and
 * the tiny base image): by default the container is paused while the volume is read and runs
 * again afterwards, and the snapshot is one point in time of the writer; --exec-before runs in the
 * container first and its failure aborts the snapshot; --stop stops and restarts it; a restore
 * into the volume is refused while the container runs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needs } from '../../helpers/requirements.js';
import { cleanupStore, runtimeStore, waitFor, type RuntimeStore } from '../../helpers/runtime-store.js';

const FILES = 10;
/** Rewrites f0..f9 with the same counter, one after the other, forever. */
const WRITER = `i=0; while :; do i=$((i+1)); for f in ${Array.from({ length: FILES }, (_, k) => k).join(' ')}; do printf '%012d\\n' $i > /data/f$f; done; done`;

/** The counter in each file; -1 for one caught between truncate and write, or not written yet. */
function values(dir: string): number[] {
  return Array.from({ length: FILES }, (_, f) => {
    let head: string;
    try {
      head = readFileSync(join(dir, `f${f}`), 'utf8');
    } catch (e) {
      // `run -d` returns once the container has started, which can be before its first write.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return -1;
      throw e;
    }
    return head.length === 13 ? Number(head) : -1;
  });
}

function onePointInTime(v: number[]): boolean {
  const whole = v.filter((x) => x >= 0);
  return v.filter((x) => x < 0).length <= 1 && Math.max(...whole) - Math.min(...whole) <= 1 && whole.every((x, i) => i === 0 || x <= whole[i - 1]!);
}

describe('snapshots of a volume a running container writes', { skip: needs({ root: true, commands: ['unshare', 'nsenter'] }), concurrency: false }, () => {
  const env = { LIFEBOAT_RUNTIME: 'unshare', LIFEBOAT_SNAPSHOTTER: 'overlay' };
  let s: RuntimeStore;
  const volume = () => join(s.root, 'volumes', 'db', '_data');
  before(async () => {
    s = await runtimeStore(env);
    const r = await s.cli(['run', '-d', '--name', 'writer', '-v', 'db:/data', s.image, 'sh', '-c', WRITER]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the writer to start writing', async () => values(volume()).every((x) => x > 0));
  });
  after(async () => {
    if (s) await cleanupStore(s.root);
  });

  test('by default the container is paused while the volume is read, and the snapshot is one point in time', async () => {
    const r = await s.cli(['volume', 'snapshot', 'db', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as { ID: string }).ID;
    const state = (await s.inspect('writer')).State;
    assert.deepEqual([state.Running, state.Paused], [true, false], 'running again, not left paused');
    assert.equal((await s.cli(['volume', 'restore', id, '--to', 'copy'])).code, 0);
    const got = values(join(s.root, 'volumes', 'copy', '_data'));
    assert.ok(onePointInTime(got), `one point in time: ${got.join(',')}`);
  });

  test('--exec-before runs in the container first; its failure aborts the snapshot and leaves it running', async () => {
    const before = (await s.cli(['volume', 'snapshots', '-q', 'db'])).stdout;
    const ok = await s.cli(['volume', 'snapshot', 'db', '--exec-before', 'echo flushed > /data/hook', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const id = (JSON.parse(ok.stdout) as { ID: string }).ID;
    assert.equal((await s.cli(['volume', 'restore', id, '--to', 'hooked', '--include', 'hook'])).code, 0);
    assert.equal(readFileSync(join(s.root, 'volumes', 'hooked', '_data', 'hook'), 'utf8'), 'flushed\n');

    const failed = await s.cli(['volume', 'snapshot', 'db', '--exec-before', 'echo no dump; exit 3']);
    assert.equal(failed.code, 7, failed.stderr);
    assert.match(failed.stderr, /--exec-before hook failed in container writer \(exit 3\)/);
    assert.equal((await s.cli(['volume', 'snapshots', '-q', 'db'])).stdout.split('\n').length, before.split('\n').length + 1, 'no snapshot from the failed run');
    assert.equal((await s.inspect('writer')).State.Running, true);
  });

  test('--stop stops the container for the snapshot and starts it again', async () => {
    const r = await s.cli(['volume', 'snapshot', 'db', '--stop']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('the writer to run again', async () => (await s.inspect('writer')).State.Running);
  });

  test('a restore into the volume is refused while the container runs', async () => {
    const r = await s.cli(['volume', 'restore', 'db:latest', '--overwrite']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /in use by running container\(s\) writer/);
  });
});
