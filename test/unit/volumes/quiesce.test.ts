/**
 * The consistency seam: containers are paused (or stopped) while the volume is read and resumed
 * whatever happens; a failing --exec-before aborts before anything is held; a failing
 * --exec-after is reported, not fatal; without a runtime, in-use volumes are refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConflictError, ContainerError } from '../../../src/core/errors.js';
import { activeUsers, containerQuiescer, type ContainerControl, type ContainerRunState } from '../../../src/ops/volume-quiesce.js';
import { sequence } from '../../../src/volumes/quiescer.js';

function fakeControl(states: Record<string, ContainerRunState>, execExit = 0): ContainerControl & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    state: async (id) => states[id] ?? 'stopped',
    pause: async (id) => void log.push(`pause ${id}`),
    unpause: async (id) => void log.push(`unpause ${id}`),
    stop: async (id) => void log.push(`stop ${id}`),
    start: async (id) => void log.push(`start ${id}`),
    exec: async (id, argv) => {
      log.push(`exec ${id} ${argv.join(' ')}`);
      return { exitCode: execExit, output: execExit ? 'dump failed' : '' };
    },
  };
}

const users = [{ id: 'a', name: 'db' }, { id: 'b', name: 'web' }, { id: 'c', name: 'old' }];

test('running users are paused while held and unpaused on release; paused and stopped ones are left alone', async () => {
  const control = fakeControl({ a: 'running', b: 'paused' });
  const active = await activeUsers(control, users, 'v');
  assert.deepEqual(active.map((u) => u.id), ['a', 'b']);
  const release = await containerQuiescer(control, active, { mode: 'pause', execBefore: 'sync', execAfter: 'echo done' }).hold();
  assert.deepEqual(control.log, ['exec a sh -c sync', 'pause a']);
  await release();
  assert.deepEqual(control.log.slice(2), ['unpause a', 'exec a sh -c echo done']);
});

test('--stop stops and restarts', async () => {
  const control = fakeControl({ a: 'running' });
  const release = await containerQuiescer(control, await activeUsers(control, users, 'v'), { mode: 'stop' }).hold();
  await release();
  assert.deepEqual(control.log, ['stop a', 'start a']);
});

test('a failing --exec-before aborts the snapshot and holds nothing', async () => {
  const control = fakeControl({ a: 'running' }, 3);
  await assert.rejects(containerQuiescer(control, await activeUsers(control, users, 'v'), { mode: 'pause', execBefore: 'pg_dump' }).hold(), ContainerError);
  assert.deepEqual(control.log, ['exec a sh -c pg_dump']);
});

test('a failing --exec-after is a warning', async () => {
  const control = fakeControl({ a: 'running' });
  const warnings: string[] = [];
  const q = containerQuiescer({ ...control, exec: async () => ({ exitCode: 1, output: 'nope' }) }, await activeUsers(control, users, 'v'), { mode: 'pause', execAfter: 'x', warn: (m) => warnings.push(m) });
  await (await q.hold())();
  assert.equal(warnings.length, 1);
  assert.deepEqual(control.log, ['pause a', 'unpause a']);
});

test('when pausing one container fails, those already paused are resumed', async () => {
  const control = fakeControl({ a: 'running', b: 'running' });
  const failing = { ...control, pause: async (id: string) => (id === 'b' ? Promise.reject(new Error('freezer broke')) : control.pause(id)) };
  await assert.rejects(containerQuiescer(failing, await activeUsers(control, users, 'v'), { mode: 'pause' }).hold(), /freezer broke/);
  assert.deepEqual(control.log, ['pause a', 'unpause a']);
});

test('sequence() releases in reverse order, and releases what it held when a later hold fails', async () => {
  const log: string[] = [];
  const q = (n: string, fail = false) => ({ hold: async () => (fail ? Promise.reject(new Error(n)) : (log.push(`hold ${n}`), async () => void log.push(`release ${n}`))) });
  await (await sequence(q('a'), q('b')).hold())();
  assert.deepEqual(log, ['hold a', 'hold b', 'release b', 'release a']);
  log.length = 0;
  await assert.rejects(sequence(q('a'), q('b', true)).hold(), /b/);
  assert.deepEqual(log, ['hold a', 'release a']);
});

test('without a container runtime, a volume with users is refused rather than read unpaused', async () => {
  await assert.rejects(activeUsers(undefined, users, 'v'), ConflictError);
  assert.deepEqual(await activeUsers(undefined, [], 'v'), []);
});
