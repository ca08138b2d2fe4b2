/**
 * The decisions of a migration that need no host, as tables: the names and ports the container
 * gets on the target (remaps by volume name or mount target, anonymous volumes, binds, -p), when
 * another pre-copy round is worth it, what the preflight refuses given the target's facts, the
 * estimate a dry run prints, and what a rollback asks the target to remove.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MigrationState } from '../../../src/ops/migrate-cutover.js';
import { estimateMigration, namesFor, type MigratePlan } from '../../../src/ops/migrate-plan.js';
import { judgeFacts } from '../../../src/ops/migrate-preflight.js';
import { RECEIVE_PROTOCOL, type ReceiveFacts } from '../../../src/ops/migrate-receive.js';
import { cleanupRequest } from '../../../src/ops/migrate-rollback.js';
import { anotherRound, type RoundReport } from '../../../src/ops/migrate-transfer.js';
import type { Digest } from '../../../src/core/digest.js';
import { hostPlatform } from '../../../src/core/oci.js';

const rec = {
  name: 'web',
  ports: [{ hostIp: '', hostPort: '8080', containerPort: '80', protocol: 'tcp' as const }],
  mounts: [
    { type: 'volume' as const, source: 'webdata', target: '/data', readOnly: false, hostPath: '/x' },
    { type: 'volume' as const, source: 'f'.repeat(64), target: '/cache', readOnly: false, hostPath: '/y', anonymous: true },
    { type: 'bind' as const, source: '/srv/conf', target: '/conf', readOnly: true, hostPath: '/srv/conf' },
  ],
};

test('by default the container, its named volume and its ports keep their names; anonymous volumes get fresh ones', () => {
  const n = namesFor(rec, {});
  assert.equal(n.container, 'web');
  assert.deepEqual(n.volumes, [{ source: 'webdata', target: 'webdata', mountTarget: '/data' }, { source: 'f'.repeat(64), mountTarget: '/cache' }]);
  assert.deepEqual(n.ports, rec.ports);
  assert.deepEqual(n.binds, ['/srv/conf']);
});

test('--name, --volume by name or by mount target, and -p remap what the target gets', () => {
  const n = namesFor(rec, { name: 'web2', volumeMap: ['webdata=web2data', '/cache=web2cache'], publish: ['9090:80', '443'] });
  assert.equal(n.container, 'web2');
  assert.deepEqual(n.volumes.map((v) => v.target), ['web2data', 'web2cache']);
  assert.deepEqual(n.ports.map((p) => `${p.hostPort}:${p.containerPort}`), ['9090:80', ':443']);
});

const refusals: Array<[string, Parameters<typeof namesFor>[1]]> = [
  ['an unknown --volume key', { volumeMap: ['nosuch=x'] }],
  ['a --volume for a bind mount (binds are not moved)', { volumeMap: ['/conf=/elsewhere'] }],
  ['a --volume without =', { volumeMap: ['webdata'] }],
  ['a bad -p', { publish: ['notaport'] }],
  ['a bad -e', { env: ['NOEQUALS'] }],
];
for (const [what, req] of refusals) test(`${what} is a usage error`, () => assert.throws(() => namesFor(rec, req), { exitCode: 2 }));

const round = (sentBytes: number): RoundReport => ({ round: 1, kind: 'pre-copy', backup: 'x', sentBytes, addedBytes: sentBytes, skippedBytes: 0, bytes: 0, changedFiles: 0, files: 0, durationMs: 0 });
const rounds: Array<[string, number[], number, boolean]> = [
  ['the first round always runs', [], 3, true],
  ['no round with --max-rounds 0', [], 0, false],
  ['a big first round is followed by another', [100e6], 3, true],
  ['a small delta is left for the cut-over', [100e6, 500e3], 3, false],
  ['a delta that halved is worth another round', [100e6, 40e6], 3, true],
  ['a delta that stopped shrinking is not', [100e6, 40e6, 30e6], 5, false],
  ['--max-rounds is the bound', [100e6, 40e6, 10e6], 3, false],
];
for (const [what, sent, max, want] of rounds) test(`pre-copy: ${what}`, () => assert.equal(anotherRound(sent.map(round), max), want));

function plan(over: Partial<MigratePlan> = {}): MigratePlan {
  return {
    container: { id: 'c'.repeat(64), name: 'web', network: 'none', state: 'running', stopTimeout: 10 },
    names: namesFor(rec, {}),
    request: { name: 'web', volumeMap: [], publish: [], env: [] },
    image: { manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}` as Digest, size: 500 }, blobs: [], bytes: 500 },
    volumes: [{ source: 'webdata', target: 'webdata', mountTarget: '/data', bytes: 100e6 }],
    layerBytes: 1e6,
    ...over,
  };
}
const facts = (over: Partial<ReceiveFacts> = {}): ReceiveFacts => ({
  protocol: RECEIVE_PROTOCOL, root: '/var/lib/lifeboat', storeExists: true, ...hostPlatform(), now: new Date().toISOString(), freeBytes: 10e9,
  containerExists: false, volumesExisting: [], portsBusy: [], pathsMissing: [], ...over,
});

const judged: Array<[string, Partial<ReceiveFacts>, string[]]> = [
  ['a target that can take it passes', {}, []],
  ['a container name taken', { containerExists: true }, ['NAME_IN_USE']],
  ['a volume name taken', { volumesExisting: ['webdata'] }, ['NAME_IN_USE']],
  ['a busy port', { portsBusy: ['80/tcp'] }, ['PORT_IN_USE']],
  ['a missing bind path', { pathsMissing: ['/srv/conf'] }, ['BIND_MISSING']],
  ['another architecture', { architecture: 'riscv64' }, ['ARCH_MISMATCH']],
  ['too little space (3x what it lacks, plus a margin)', { freeBytes: 200e6 }, ['NO_SPACE']],
  ['another protocol', { protocol: RECEIVE_PROTOCOL + 1 }, ['LIFEBOAT_TOO_OLD']],
  ['every problem is listed', { containerExists: true, freeBytes: 1 }, ['NAME_IN_USE', 'NO_SPACE']],
];
for (const [what, over, codes] of judged) {
  test(`preflight: ${what}`, () => assert.deepEqual(judgeFacts(plan(), facts(over), { total: 101e6 }, 'db1').map((e) => e.code), codes));
}

test('the dry-run estimate: pre-copy at the link rate; downtime = stop + final delta (writable layer + 1% of volumes) + restore', () => {
  const e = estimateMigration(plan(), 101e6, { bytesPerSec: 10e6, measured: true });
  assert.equal(e.precopyMs, 10_100);
  assert.equal(e.deltaBytes, 2e6);
  assert.equal(e.downtimeMs, 1_000 + 200 + 2_500);
  assert.equal(estimateMigration(plan({ container: { ...plan().container, state: 'stopped' } }), 101e6, undefined).downtimeMs, 0);
});

test('a rollback removes only the directory before a restore was asked for; after it, what the restore made', () => {
  const st: MigrationState = { restoreAsked: false };
  assert.deepEqual(cleanupRequest(plan(), st, '/r/migrate/x', 'T', false), { dir: '/r/migrate/x' });
  st.restoreAsked = true;
  st.restored = { backup: 'b', container: { id: 'i', name: 'web' }, volumes: [{ name: 'webdata', created: true }, { name: 'e'.repeat(64), created: true }], started: true, durationMs: 1 };
  assert.deepEqual(cleanupRequest(plan(), st, '/r/migrate/x', 'T', false), { dir: '/r/migrate/x', container: 'web', volumes: ['webdata', 'e'.repeat(64)], image: plan().image.manifest.digest, since: 'T' });
  assert.equal(cleanupRequest(plan(), st, '/r/migrate/x', 'T', true).image, undefined, 'an image the target had stays');
});
