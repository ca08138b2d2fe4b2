/**
 * SnapshotRefs.latest: the parent of the next snapshot (and `VOLUME:latest`) is the newest
 * snapshot among the refs a predicate accepts, in the order snapshots() lists them (created, then
 * ID). A ref carries its record's `created`, so only the winner's record is read, however many
 * snapshots a volume keeps; a ref written before that (no annotation) is still ordered right, by
 * reading its record.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hexOf, type Digest } from '../../../src/core/digest.js';
import { CREATED, SnapshotRefs } from '../../../src/volumes/snapshot-refs.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { stores } from '../../helpers/volume-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

test('the newest accepted snapshot, reading only its record; refs without CREATED are read to be ordered', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const ids: Digest[] = [];
  for (let i = 0; i < 6; i++) {
    writeFileSync(join(volumes.dataPath('v'), 'f'), `version ${i}\n`);
    ids.push((await takeSnapshot(content, volumes, 'v')).id);
  }
  const refs = new SnapshotRefs(content.root);
  const all = await refs.snapshots(content, 'v');
  assert.deepEqual(all.map((s) => s.id), ids, 'snapshots() lists them oldest first');
  assert.ok(all.every((s) => s.ref.descriptor.annotations?.[CREATED] === s.record.created), 'each ref carries its created');

  const reads: string[] = [];
  const readBytes = content.readBytes.bind(content);
  content.readBytes = (...args: Parameters<typeof readBytes>) => (reads.push(args[0]), readBytes(...args));
  t.after(() => (content.readBytes = readBytes));
  assert.equal((await refs.latest(content, 'v'))!.id, ids[5]);
  assert.deepEqual(reads, [ids[5]], 'one record read, not six');

  reads.length = 0;
  const notNewest = (r: { descriptor: { digest: Digest } }) => r.descriptor.digest !== ids[5] && r.descriptor.digest !== ids[4];
  assert.equal((await refs.latest(content, 'v', notNewest))!.id, ids[3], 'the predicate is applied before choosing');
  assert.deepEqual(reads, [ids[3]]);
  assert.equal(await refs.latest(content, 'v', () => false), undefined);

  // The newest ref, as an older Lifeboat wrote it: no CREATED. Its record is read to place it.
  const file = join(refs.dir, 'v', hexOf(ids[5]!));
  const { annotations: _a, ...plain } = JSON.parse(readFileSync(file, 'utf8')) as { annotations?: unknown };
  writeFileSync(file, JSON.stringify(plain));
  reads.length = 0;
  assert.equal((await refs.latest(content, 'v'))!.id, ids[5]);
  assert.deepEqual(reads, [ids[5]], 'read once: to order it, and kept for the answer');
});
