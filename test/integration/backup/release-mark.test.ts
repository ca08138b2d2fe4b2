/**
 * What a backup gives back to the local store (ops/gc.ts dropUnreferenced, with `closed`: the new
 * snapshot's blobs, which the mark does not read below). A candidate that another root still
 * needs must stay, even when the mark skips the closed blobs; a dead candidate goes; and when a
 * candidate is itself among the closed blobs, the shortcut is off and the mark reads everything.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { MediaType } from '../../../src/core/media-types.js';
import type { Descriptor } from '../../../src/core/oci.js';
import { closureOf, holdInRepository } from '../../../src/ops/backup-local.js';
import { dropUnreferenced } from '../../../src/ops/gc.js';
import { checkStore } from '../../../src/ops/system-check.js';
import { restoreVolume } from '../../../src/volumes/restore-volume.js';
import { loadTree } from '../../../src/volumes/tree-io.js';
import { SnapshotRefs } from '../../../src/volumes/snapshot-refs.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { diffRaw, rawTree } from '../../helpers/raw-tree.js';
import { tempDir } from '../../helpers/tmp.js';
import { stores } from '../../helpers/volume-fixtures.js';

const repo1 = { id: 'repo-1', location: '/srv/repo-1' };

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

test("an incremental's release names the parent's replaced trees without reading them again, and what was below a gone directory; what it releases goes and the new snapshot restores", async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  for (const d of ['a', 'b', 'c', 'c/deep']) mkdirSync(join(data, d));
  for (const f of ['a/1', 'b/1', 'c/1', 'c/deep/1']) writeFileSync(join(data, f), `${f}\n`);
  const first = await takeSnapshot(content, volumes, 'v', { writeRef: false });
  await holdInRepository(content, [first], repo1, { chunksHere: false });
  const treeOf = async (tree: Descriptor, name: string) => (await loadTree(content, tree.digest)).entries.find((e) => e.name === name)!;
  const old = {
    root: first.record.tree.digest,
    a: (await treeOf(first.record.tree, 'a')).tree!,
    b: (await treeOf(first.record.tree, 'b')).tree!,
    c: (await treeOf(first.record.tree, 'c')).tree!,
  };
  const deep = (await treeOf({ mediaType: MediaType.LifeboatTree, digest: old.c, size: 0 }, 'deep')).tree!;

  writeFileSync(join(data, 'a', '1'), 'changed\n');
  rmSync(join(data, 'c'), { recursive: true });
  const second = await takeSnapshot(content, volumes, 'v', { parent: first, writeRef: false });
  const named = new Set((await closureOf(content, [second.record.tree])).map((d) => d.digest));
  const reads: string[] = [];
  const readBytes = content.readBytes.bind(content);
  content.readBytes = (...args: Parameters<typeof readBytes>) => (reads.push(args[0]), readBytes(...args));
  const candidates = await holdInRepository(content, [second], repo1, { chunksHere: false, kept: named });
  content.readBytes = readBytes;
  assert.deepEqual(reads.sort(), [old.c, deep].sort(), "of the parent's trees only those of the gone c/ are read (the walk never did), for what was below it");
  assert.deepEqual(new Set(candidates.map((d) => d.digest)), new Set([first.id, old.root, old.a, old.c, deep]), 'the record, the root, a/ and c/ trees it replaced, and c/deep below the gone c/; not b/');

  await dropUnreferenced(content, candidates, { closed: named });
  for (const gone of [first.id, old.root, old.a, old.c, deep]) assert.equal(await content.info(gone), undefined);
  assert.ok(await content.info(old.b), 'b/ is unchanged: the new snapshot names it');
  assert.equal((await checkStore(content)).problems.length, 0);
  await restoreVolume(content, volumes, second, { to: 'back' });
  assert.deepEqual(diffRaw(await rawTree(data), await rawTree(volumes.dataPath('back'))), []);
});
