/**
 * What a backup gives back to the local store (ops/gc.ts dropUnreferenced, with `closed`: the new
 * snapshot's blobs, which the mark does not read below). A candidate that another root still
 * needs must stay, even when the mark skips the closed blobs; a dead candidate goes; and when a
 * candidate is itself among the closed blobs, the shortcut is off and the mark reads everything.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import { closureOf } from '../../../src/ops/backup-local.js';
import { dropUnreferenced } from '../../../src/ops/gc.js';
import { SnapshotRefs } from '../../../src/volumes/snapshot-refs.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { tempDir } from '../../helpers/tmp.js';
import { stores } from '../../helpers/volume-fixtures.js';

test('dropUnreferenced with a closed set keeps a candidate another root needs, drops a dead one, and ignores a closed set that holds a candidate', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  for (const v of ['kept', 'gone', 'new']) {
    await volumes.create(v);
    mkdirSync(join(volumes.dataPath(v), 'd'));
    writeFileSync(join(volumes.dataPath(v), 'd', 'f.txt'), `volume ${v}\n`);
  }
  const kept = await takeSnapshot(content, volumes, 'kept'); // a local snapshot: a root of the store
  const gone = await takeSnapshot(content, volumes, 'gone');
  const fresh = await takeSnapshot(content, volumes, 'new');
  const refs = new SnapshotRefs(content.root);
  for (const r of await refs.list('gone')) await refs.remove(r); // forgotten: nothing keeps it now
  const freshClosure = await closureOf(content, [fresh.record.tree]);
  const closed = new Set<Digest>(freshClosure.map((d) => d.digest));

  const r = await dropUnreferenced(content, [kept.record.tree, gone.record.tree], { closed });
  assert.ok(await content.info(kept.record.tree.digest), 'a tree the kept snapshot names stays');
  assert.equal(await content.info(gone.record.tree.digest), undefined, 'a tree nothing names goes');
  assert.equal(r.blobs, 1);

  // A closed set that holds a candidate: the fresh snapshot's subtree d/, live through its root
  // tree, which a mark that trusted the closed set would not read below.
  const sub = freshClosure.find((d) => d.mediaType === MediaType.LifeboatTree && d.digest !== fresh.record.tree.digest)!;
  await dropUnreferenced(content, [sub], { closed });
  assert.ok(await content.info(sub.digest), 'the shortcut was off: the subtree its snapshot names stays');
});
