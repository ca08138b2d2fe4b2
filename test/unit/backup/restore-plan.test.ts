/**
 * Restore plans as tables: names, volume remaps (by name or mount target), fresh names for
 * anonymous volumes, binds (data only with --include-binds), -p and --env overrides, and the
 * sandbox verify restores into (nothing of the host is named, network none, restart no).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRestore, type RestorePlan } from '../../../src/ops/restore-plan.js';
import { sampleRecord } from './record.js';

const fresh = () => 'f'.repeat(64);
const plan = (req: Parameters<typeof planRestore>[1]) => planRestore(sampleRecord(), req, fresh);
const volumeNames = (p: RestorePlan) => p.volumes.map((v) => [v.name, v.target, v.anonymous]);

test('by default: the same name and volumes, a fresh anonymous volume, the bind mounted without its data', () => {
  const p = plan({});
  assert.equal(p.name, 'web');
  assert.deepEqual(volumeNames(p), [['data', '/data', false], ['f'.repeat(64), '/cache', true]]);
  assert.deepEqual(p.binds, [{ hostPath: '/srv/conf', target: '/etc/app', readOnly: true }]);
  assert.ok(p.volumes.every((v) => v.snapshot));
  assert.equal(p.container.network, 'none');
  assert.deepEqual(p.container.restartPolicy, { name: 'on-failure', maxRetries: 3 });
});

test('--volume remaps by name or by mount target; a bind to another host path; --include-binds brings its data', () => {
  const p = plan({ volumeMap: ['data=data2', '/cache=cache2', '/srv/conf=/srv/conf2'], includeBinds: true });
  assert.deepEqual(volumeNames(p), [['data2', '/data', false], ['cache2', '/cache', false]]);
  assert.equal(p.binds[0]!.hostPath, '/srv/conf2');
  assert.ok(p.binds[0]!.snapshot);
});

const refused: Array<[string, Parameters<typeof planRestore>[1]]> = [
  ['an unknown --volume key', { volumeMap: ['nope=x'] }],
  ['--volume without =', { volumeMap: ['data'] }],
  ['the same key twice', { volumeMap: ['data=a', 'data=b'] }],
  ['a bind remapped to a relative path', { volumeMap: ['/srv/conf=conf'] }],
  ['an --env without =', { env: ['MODE'] }],
  ['a bad -p', { publish: ['http'] }],
];
for (const [what, req] of refused) test(`${what} is a usage error`, () => assert.throws(() => plan(req), { exitCode: 2 }));

test('-p replaces the mapping of the same container port and adds others; --env replaces and adds', () => {
  const p = plan({ publish: ['9090:80', '53:53/udp'], env: ['MODE=test', 'NEW=1'] });
  assert.deepEqual(p.container.ports.map((x) => `${x.hostPort}:${x.containerPort}/${x.protocol}`), ['9090:80/tcp', '53:53/udp']);
  assert.deepEqual(p.container.process.env, ['PATH=/bin', 'MODE=test', 'NEW=1']);
});

test('a sandbox names nothing of the host: throw-away volumes for volumes and binds, network none, restart no, no ports', () => {
  const p = plan({ sandbox: 'lbverify-x', name: 'ignored' });
  assert.equal(p.name, 'lbverify-x');
  assert.deepEqual(volumeNames(p), [['lbverify-x-0', '/data', true], ['lbverify-x-1', '/cache', true], ['lbverify-x-2', '/etc/app', true]]);
  assert.deepEqual(p.binds, []);
  assert.ok(p.volumes[2]!.snapshot, 'the bind\'s data goes into its throw-away volume');
  assert.deepEqual(p.container.ports, []);
  assert.deepEqual(p.container.restartPolicy, { name: 'no', maxRetries: 0 });
});
