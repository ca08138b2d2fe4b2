/**
 * The backup record codec: a record survives encode → parse, names exactly its children, and the
 * ref summary must name the record its file is named after. Records come from repositories, so
 * hostile values are refused by name (paths that climb or are relative, "/" as a mount target,
 * bad digests, wrong media types, NULs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaType } from '../../../src/core/media-types.js';
import { backupChildren, encodeBackupRecord, parseBackupRecord, parseBackupRef, refOf } from '../../../src/ops/backup-format.js';
import { D, sampleRecord } from './record.js';

const roundTrip = (r: unknown) => parseBackupRecord(Buffer.from(JSON.stringify(r)));

test('a record survives encode and parse, and its children are image, layer, volume and bind snapshots', () => {
  const r = sampleRecord();
  assert.deepEqual(parseBackupRecord(encodeBackupRecord(r)), r);
  assert.deepEqual(backupChildren(r).map((d) => d.digest), [D('2'), D('3'), D('4'), D('5'), D('6')]);
  const { writableLayer: _w, ...noLayer } = r;
  assert.deepEqual(backupChildren({ ...noLayer, binds: [{ source: '/x', target: '/y', readOnly: false }] }).map((d) => d.digest), [D('2'), D('4'), D('5')]);
});

const hostile: Array<[string, (r: ReturnType<typeof sampleRecord>) => void]> = [
  ['a mount target that climbs out (..)', (r) => void (r.container.mounts[0]!.target = '/data/../../etc')],
  ['a relative mount target', (r) => void (r.container.mounts[0]!.target = 'data')],
  ['"/" as a mount target', (r) => void (r.container.mounts[0]!.target = '/')],
  ['a relative bind source', (r) => void (r.container.mounts[2]!.source = 'srv/conf')],
  ['a NUL in an argument', (r) => void (r.container.process.args = ['sh\0'])],
  ['a volume snapshot that is not a snapshot', (r) => void (r.volumes[0]!.snapshot.mediaType = MediaType.LifeboatChunk)],
  ['a bad digest', (r) => void (r.image.manifest.digest = 'sha256:zz' as never)],
  ['an unknown network', (r) => void ((r.container as { network: string }).network = 'bridge')],
  ['a negative size', (r) => void (r.writableLayer!.layer.size = -1)],
  ['another schema version', (r) => void ((r as { schemaVersion: number }).schemaVersion = 2)],
];
for (const [what, spoil] of hostile) {
  test(`a record with ${what} is refused`, () => {
    const r = sampleRecord();
    spoil(r);
    assert.throws(() => roundTrip(r), { code: 'BAD_BACKUP' });
  });
}

test('a ref must name the record its file is named after', () => {
  const r = sampleRecord();
  const desc = { mediaType: MediaType.LifeboatBackup, digest: D('9'), size: 10 };
  const ref = refOf(desc, r);
  assert.equal(parseBackupRef(ref, '9'.repeat(64)).container, 'web');
  assert.throws(() => parseBackupRef(ref, '8'.repeat(64)), { code: 'BAD_BACKUP' });
  assert.throws(() => parseBackupRef({ ...ref, backup: { ...desc, mediaType: MediaType.OciManifest } }, '9'.repeat(64)), { code: 'BAD_BACKUP' });
});
