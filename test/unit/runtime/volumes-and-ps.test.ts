import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVolumeSpec } from '../../../src/ops/container-volumes.js';
import { commandText, selectRows, type PsRow } from '../../../src/cli/views/container-ps.js';
import { initialState, type ContainerRecord, type ContainerState } from '../../../src/runtime/container-record.js';

test('-v specs parse as in docker run', () => {
  assert.deepEqual(parseVolumeSpec('data:/var/lib/data'), { kind: 'named', source: 'data', target: '/var/lib/data', readOnly: false });
  assert.deepEqual(parseVolumeSpec('data:/d:ro'), { kind: 'named', source: 'data', target: '/d', readOnly: true });
  assert.deepEqual(parseVolumeSpec('/srv/x/:/x/'), { kind: 'bind', source: '/srv/x/', target: '/x/', readOnly: false });
  assert.deepEqual(parseVolumeSpec('/cache'), { kind: 'anonymous', source: '', target: '/cache', readOnly: false });
  assert.deepEqual(parseVolumeSpec('v:/d:nocopy'), { kind: 'named', source: 'v', target: '/d', readOnly: false, noCopy: true });
  for (const bad of ['relative', 'v:relative', 'v:/d:rx', 'v:/', ':/d', 'a:b:c:d']) assert.throws(() => parseVolumeSpec(bad), { code: 'USAGE' }, bad);
});

function row(name: string, status: ContainerState['status'], created: string, extra: Partial<ContainerRecord> = {}, exitCode = 0): PsRow {
  const rec = { id: `${name}`.padEnd(64, '0'), name, created, image: 'img', imageId: 'sha256:abc', labels: {}, ports: [], process: { args: ['sh', '-c', 'echo hello world; sleep 1000'], env: [], cwd: '/', user: '' }, ...extra } as unknown as ContainerRecord;
  return { rec, state: { ...initialState(), status, exitCode } };
}

test('ps shows running containers by default, all with -a, newest first, and filters', () => {
  const rows = [row('a', 'running', '2026-01-01'), row('b', 'exited', '2026-01-03', {}, 1), row('c', 'paused', '2026-01-02', { labels: { tier: 'db' } })];
  assert.deepEqual(selectRows(rows, {}).map((r) => r.rec.name), ['c', 'a']);
  assert.deepEqual(selectRows(rows, { all: true }).map((r) => r.rec.name), ['b', 'c', 'a']);
  assert.deepEqual(selectRows(rows, { filters: ['status=exited'] }).map((r) => r.rec.name), ['b']);
  assert.deepEqual(selectRows(rows, { all: true, filters: ['label=tier=db'] }).map((r) => r.rec.name), ['c']);
  assert.deepEqual(selectRows(rows, { filters: ['exited=1'] }).map((r) => r.rec.name), ['b']);
  assert.deepEqual(selectRows(rows, { last: 1 }).map((r) => r.rec.name), ['b']);
  assert.throws(() => selectRows(rows, { filters: ['status=sleeping'] }), { code: 'USAGE' });
  assert.throws(() => selectRows(rows, { filters: ['color=red'] }), { code: 'USAGE' });
});

test('the COMMAND column is quoted and cut at 20 characters, like docker ps', () => {
  assert.equal(commandText(row('a', 'running', '').rec), '"sh -c echo hello wo…"');
  assert.equal(commandText(row('a', 'running', '').rec, true), '"sh -c echo hello world; sleep 1000"');
});
